# Fails if the lab's logic (web/lab/*, web/lessons/*/*_lesson.*) includes ImGui, GL, GLFW or
# Emscripten headers, or the browser side of the lab (the App, panels, ui/): the logic builds and
# is tested natively, the panels draw it (docs/architecture.md, "Lessons").
file(GLOB files "${WEB_DIR}/lab/*.hpp" "${WEB_DIR}/lab/*.cpp" "${WEB_DIR}/lessons/*/*_lesson.hpp"
     "${WEB_DIR}/lessons/*/*_lesson.cpp")
set(bad "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" lines REGEX
       "^[ \t]*#[ \t]*include[ \t]*[<\"](([^>\"]*/)?(imgui|GL|GLES[23]?|GLFW|emscripten|webgl)[^>\"]*|app\\.hpp|panel\\.hpp|shell\\.hpp|ui/[^>\"]*|[^>\"]*_panel\\.hpp|[^>\"]*_views?\\.hpp)[>\"]")
  if(lines)
    list(APPEND bad "${f}: ${lines}")
  endif()
endforeach()
list(LENGTH files n)
if(n LESS 8)
  message(FATAL_ERROR "expected the lab's logic under ${WEB_DIR}/lab and lessons/*/, found ${n} files")
endif()
if(bad)
  message(FATAL_ERROR "the lab's logic must build without a browser:\n${bad}")
endif()
message(STATUS "checked ${n} files of the lab's logic: no platform or UI includes")
