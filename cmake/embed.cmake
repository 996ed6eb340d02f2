# Turns each template file into a C string in one generated source, so an
# installed symgrad needs no data directory.
#   cmake -DOUT=templates.c -DFILES="a|b" -P embed.cmake
string(REPLACE "|" ";" FILES "${FILES}")
file(WRITE ${OUT} "/* generated from templates/ by cmake/embed.cmake */\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(MAKE_C_IDENTIFIER ${name} id)
  file(READ ${f} text HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${text}")
  file(APPEND ${OUT} "const char sg_tmpl_${id}[] = {${bytes}0x00};\n")
endforeach()
