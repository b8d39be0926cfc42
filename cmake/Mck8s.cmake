# Helpers that keep every target of the tree shaped alike.
#
#   mck8s_add_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#     A library target `mck8s_<name>` with the alias `mck8s::<name>`; its
#     public headers live in `include/mck8s/<name>/` next to the calling
#     CMakeLists.txt. Without SOURCES it is an INTERFACE (header-only) target.
#
#   mck8s_add_executable(<name> SOURCES ... [DEPS ...])
#     An executable in ${CMAKE_BINARY_DIR}/bin.
#
#   mck8s_add_test(<suite> SOURCES ... [DEPS ...] [LABELS ...])
#     A Catch2 executable `test-<suite>` linked with the shared Catch main;
#     every TEST_CASE becomes one ctest test named `<suite>: <case>` and
#     labelled with the kind of test (`unit`, `integration`, `e2e`, `peer`),
#     so `ctest -L unit` is the quick loop.

function(mck8s_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target mck8s_${name})
  if(ARG_SOURCES)
    add_library(${target} ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(mck8s::${name} ALIAS ${target})
endfunction()

function(mck8s_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()

function(mck8s_add_test suite)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  set(target test-${suite})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE mck8s_catch_main ${ARG_DEPS})
  target_compile_definitions(${target} PRIVATE
    MCK8S_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MCK8S_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # Catch2 v2's discovery passes PROPERTIES through unquoted, so one label
  # per suite: the kind of test (unit, integration, e2e, peer).
  list(GET ARG_LABELS 0 label)
  catch_discover_tests(${target}
    TEST_PREFIX "${suite}: "
    PROPERTIES LABELS ${label})
endfunction()
