# Included by ctest after the test lists that catch_discover_tests wrote for
# a test directory (see TEST_INCLUDE_FILES in tests/serf and tests/gateway):
# the suites with real Serf agents, netdelay or Prometheus measure times and
# wait on real peers' timing, which other tests running at the same time on
# the machine would lengthen, so ctest runs them alone. Each directory
# defines only its own lists.
foreach(test_list test-serf-agents_TESTS test-serf-netns_TESTS test-gateway-peer_TESTS)
  if(DEFINED ${test_list})
    set_tests_properties(${${test_list}} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
