// A deliberately wrong tree for the layer check: formats must not include learn.
#pragma once
