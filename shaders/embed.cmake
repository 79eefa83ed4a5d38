# Writes every shaders/*.vert|frag file into one generated header of string constants, so the
# shaders ship inside the WebAssembly and need no fetch. Run by web/CMakeLists.txt at build time:
#   cmake -DSHADER_DIR=... -DOUTPUT=.../shaders.hpp -P embed.cmake
file(GLOB shaders "${SHADER_DIR}/*.vert" "${SHADER_DIR}/*.frag")
list(SORT shaders)
set(out "// Generated from shaders/ by shaders/embed.cmake: do not edit.\n#pragma once\n\nnamespace quantlab::shaders {\n")
foreach(path IN LISTS shaders)
  get_filename_component(name "${path}" NAME)
  string(REPLACE "." "_" id "${name}")
  file(READ "${path}" text)
  string(APPEND out "inline constexpr const char* ${id} = R\"glsl(${text})glsl\";\n")
endforeach()
string(APPEND out "}  // namespace quantlab::shaders\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
