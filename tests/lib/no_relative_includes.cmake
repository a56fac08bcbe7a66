# cmake -DSRC=<source dir> -P no_relative_includes.cmake
# Fails when a file of a room (client/ with the engine and the signer interface, pkcs11/,
# certstore/, limits/) includes a header by a relative path ("../x.h"): that would reach past
# the include path its target declares, the one thing that keeps the rooms apart (README,
# "Layout and design").
if(NOT SRC)
  message(FATAL_ERROR "usage: cmake -DSRC=<source dir> -P no_relative_includes.cmake")
endif()
set(found "")
foreach(room client pkcs11 certstore limits)
  file(GLOB_RECURSE files ${SRC}/${room}/*.c ${SRC}/${room}/*.h)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][.][.]/")
    foreach(l ${lines})
      file(RELATIVE_PATH rel ${SRC} ${f})
      string(APPEND found "  ${rel}: ${l}\n")
    endforeach()
  endforeach()
endforeach()
if(found)
  message(FATAL_ERROR "relative includes reach past a room's include path:\n${found}")
endif()
message(STATUS "no relative includes in client, pkcs11, certstore, limits")
