# cmake -DCC=<compiler> -DFLAGS="<compile flags>" -DINC="<include dirs>" -DOUT=<scratch dir>
#       -P buf_private.cmake
# struct buf's fields are private to client/ssh/buf.c by construction (client/ssh/buf.h): a file
# that names one does not compile, with the project's own flags. Four small files, alike but for
# one line, prove it:
#   api.c       uses the functions only                        -> must compile (the set-up works)
#   field.c     reads b.len, the field name of old             -> must not compile
#   private.c   reads b.buf_priv_len, the real (poisoned) name -> must not compile
#   owner.c     the same, after defining X509SSH_BUF_OWNER     -> must compile (buf.c's way in)
if(NOT CC OR NOT OUT OR NOT INC)
  message(FATAL_ERROR "usage: cmake -DCC=<cc> -DFLAGS=<flags> -DINC=<dirs> -DOUT=<dir> -P buf_private.cmake")
endif()
separate_arguments(flags UNIX_COMMAND "${FLAGS}")
separate_arguments(dirs UNIX_COMMAND "${INC}")
set(incs "")
foreach(d ${dirs})
  list(APPEND incs "-I${d}")
endforeach()
file(MAKE_DIRECTORY ${OUT})

function(probe name head line expect)
  file(WRITE ${OUT}/${name}.c "${head}#include \"buf.h\"\n\nsize_t probe(void);\nsize_t probe(void)\n{\n\tstruct buf b;\n\tsize_t n;\n\n\tbuf_init(&b);\n\t(void)buf_put_u8(&b, 1);\n\tn = ${line};\n\tbuf_free(&b);\n\treturn n;\n}\n")
  execute_process(COMMAND ${CC} ${flags} ${incs} -fsyntax-only ${OUT}/${name}.c
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(expect STREQUAL "compiles" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}.c (${line}) should compile and does not:\n${out}")
  elseif(expect STREQUAL "fails" AND rc EQUAL 0)
    message(FATAL_ERROR "${name}.c (${line}) compiles: struct buf's fields are reachable outside buf.c")
  endif()
  message(STATUS "${name}.c: ${line}: ${expect} as it should")
endfunction()

probe(api "" "buf_len(&b) + (buf_ptr(&b) != NULL)" compiles)
probe(field "" "b.len" fails)
probe(private "" "b.buf_priv_len" fails)
probe(owner "#define X509SSH_BUF_OWNER\n" "b.buf_priv_len" compiles)
