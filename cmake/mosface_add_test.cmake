# mosface_add_test(name): cpp/tests/test_<name>.cpp -> executable test_<name>, registered with ctest.
function(mosface_add_test name)
  add_executable(test_${name} ${PROJECT_SOURCE_DIR}/cpp/tests/test_${name}.cpp)
  target_link_libraries(test_${name} PRIVATE mosface_core)
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/cpp/tests)
  add_test(NAME ${name} COMMAND test_${name} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
