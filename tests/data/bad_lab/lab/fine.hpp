// The lab logic check must find the include in the lesson file beside this one.
#pragma once
