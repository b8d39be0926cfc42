# Included by ctest after the test lists that catch_discover_tests wrote for
# this directory (see TEST_INCLUDE_FILES in CMakeLists.txt): the suites with
# real agents measure round-trip times, which other tests running at the
# same time on the machine would lengthen, so ctest runs them alone.
foreach(test_list test-serf-agents_TESTS test-serf-netns_TESTS)
  if(DEFINED ${test_list})
    set_tests_properties(${${test_list}} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
