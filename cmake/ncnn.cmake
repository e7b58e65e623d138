# Locate ncnn. An explicit ncnn_DIR wins; otherwise build_ncnn.py fetches the
# pinned PyPI source package, verifies its checksum and builds it once into a
# cache outside the source tree (~/.cache/mosface, or $MOSFACE_NCNN_CACHE).
if(NOT ncnn_DIR)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  set(_mosface_ncnn_args --variant ${MOSFACE_NCNN_VARIANT})
  if(CMAKE_TOOLCHAIN_FILE)
    list(APPEND _mosface_ncnn_args --toolchain ${CMAKE_TOOLCHAIN_FILE})
  endif()
  execute_process(
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/ncnn/build_ncnn.py ${_mosface_ncnn_args}
    OUTPUT_VARIABLE _mosface_ncnn_out
    RESULT_VARIABLE _mosface_ncnn_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _mosface_ncnn_rc EQUAL 0)
    message(FATAL_ERROR "building ncnn failed (see the output above); "
                        "or pass -Dncnn_DIR=<prefix>/lib/cmake/ncnn to use an existing build")
  endif()
  string(REGEX REPLACE ".*\n" "" _mosface_ncnn_prefix "${_mosface_ncnn_out}")
  set(ncnn_DIR "${_mosface_ncnn_prefix}/lib/cmake/ncnn" CACHE PATH "ncnn CMake package folder" FORCE)
endif()
# The toolchain's ONLY find-root mode would hide a cache folder outside the sysroot.
find_package(ncnn REQUIRED CONFIG PATHS ${ncnn_DIR} NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
message(STATUS "mosface: using ncnn from ${ncnn_DIR}")
