# test_embed_migrations.cmake - the build refuses migration files it cannot
# number: runs embed_migrations.cmake on directories of made-up files and
# checks that good ones become rows (text escaped for C) and that a
# misnamed file, a gap or a repeat fails with a message that says so.
#
#   cmake -DWORK=<scratch dir> -P cmake/test_embed_migrations.cmake

if(NOT WORK)
	message(FATAL_ERROR "usage: cmake -DWORK=<scratch dir> -P test_embed_migrations.cmake")
endif()
set(embed ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake)
set(failures 0)

# Runs the embedder on a fresh directory holding the given files (each
# with a line of SQL); sets rc, out (the generated rows) and err.
function(embed case)
	set(dir ${WORK}/${case})
	file(REMOVE_RECURSE ${dir})
	file(MAKE_DIRECTORY ${dir})
	foreach(f IN LISTS ARGN)
		file(WRITE ${dir}/${f} "SELECT 1;\n")
	endforeach()
	file(WRITE ${dir}/README.md "not a migration\n")
	execute_process(COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUT=${WORK}/${case}.inc -P ${embed}
		RESULT_VARIABLE result ERROR_VARIABLE error OUTPUT_QUIET)
	set(out "")
	if(EXISTS ${WORK}/${case}.inc)
		file(READ ${WORK}/${case}.inc out)
	endif()
	set(rc ${result} PARENT_SCOPE)
	set(err "${error}" PARENT_SCOPE)
	set(out "${out}" PARENT_SCOPE)
endfunction()

function(expect_refused case message)
	embed(${case} ${ARGN})
	# cmake wraps its messages: compare with the blanks squeezed
	string(REGEX REPLACE "[ \n]+" " " err "${err}")
	string(FIND "${err}" "${message}" at)
	if(rc EQUAL 0 OR at EQUAL -1 OR EXISTS ${WORK}/${case}.inc)
		message(SEND_ERROR "${case}: want a failure saying \"${message}\"; rc ${rc}: ${err}")
		math(EXPR failures "${failures} + 1")
		set(failures ${failures} PARENT_SCOPE)
	endif()
endfunction()

# good files: rows in number order, "_" read as " "
embed(good 0002_second_one.sql 0001_first.sql 0003_x9.sql)
if(NOT rc EQUAL 0)
	message(SEND_ERROR "good: refused: ${err}")
	math(EXPR failures "${failures} + 1")
endif()
string(FIND "${out}" "{ 1, \"first\", \"0001_first.sql\"," first)
string(FIND "${out}" "{ 2, \"second one\", \"0002_second_one.sql\"," second)
string(FIND "${out}" "{ 3, \"x9\", \"0003_x9.sql\"," third)
if(first EQUAL -1 OR second LESS first OR third LESS second)
	message(SEND_ERROR "good: rows missing or out of order:\n${out}")
	math(EXPR failures "${failures} + 1")
endif()

# the text as a C string: quotes, backslashes, tabs, "??" and a last line
# without a newline survive
file(REMOVE_RECURSE ${WORK}/escape)
file(MAKE_DIRECTORY ${WORK}/escape)
file(WRITE ${WORK}/escape/0001_escape.sql "SELECT '\"a\\b\"';\n\tSELECT '??=';")
execute_process(COMMAND ${CMAKE_COMMAND} -DDIR=${WORK}/escape -DOUT=${WORK}/escape.inc -P ${embed}
	RESULT_VARIABLE rc ERROR_VARIABLE err)
file(READ ${WORK}/escape.inc out)
string(FIND "${out}" "\"SELECT '\\\"a\\\\b\\\"';\\n\"\n\t  \"\\tSELECT '\\?\\?=';\" }," at)
if(NOT rc EQUAL 0 OR at EQUAL -1)
	message(SEND_ERROR "escape: not a C string of the text (rc ${rc} ${err}):\n${out}")
	math(EXPR failures "${failures} + 1")
endif()

expect_refused(gap "gap: 0003_c.sql comes after 0001_a.sql, where 0002 is due"
	0001_a.sql 0003_c.sql)
expect_refused(late_start "gap: 0002_b.sql comes first, where 0001 is due" 0002_b.sql)
expect_refused(zero "gap: 0000_a.sql comes first" 0000_a.sql 0001_b.sql)
expect_refused(twice "number 0002 is used twice: 0002_a.sql and 0002_b.sql"
	0001_x.sql 0002_a.sql 0002_b.sql)
expect_refused(empty "no migrations")
foreach(bad 12_short.sql 0012-dash.sql 0012_Upper.sql 00012_five.sql 0012_.sql 0012_a__b.sql
		0012_trailing_.sql 0012_name.SQL 0012_name.sql.orig 0012_name notes.txt
		"0012_with space.sql")
	string(MAKE_C_IDENTIFIER "bad_${bad}" case)
	expect_refused(${case} "${bad}: not a migration file name" 0001_a.sql "${bad}")
endforeach()

if(failures)
	message(FATAL_ERROR "${failures} embed_migrations case(s) failed")
endif()
message(STATUS "embed_migrations: every case passed")
