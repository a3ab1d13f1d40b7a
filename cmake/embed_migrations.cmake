# embed_migrations.cmake - turns the schema migrations, DIR/NNNN_name.sql,
# into the rows of migrate.c's migration table, written to OUT: a C
# fragment that migrate.c includes inside the table's initializer.
#
#   cmake -DDIR=src/db/migrations -DOUT=build/generated/migrations.inc \
#         -P cmake/embed_migrations.cmake
#
# Every file in DIR but README.md and dot files must be a migration named
# NNNN_words.sql (four digits, then lower-case words joined by "_"), and
# the numbers must run 0001, 0002, ... without a gap or a repeat: anything
# else fails the build, so a misnamed file is never silently left out.
# A row is { version, name, file, text }: the name is the words with "_"
# read as spaces (what schema_migrations records), the text the file as it is.

if(NOT DIR OR NOT OUT)
	message(FATAL_ERROR "usage: cmake -DDIR=<migrations dir> -DOUT=<file> -P embed_migrations.cmake")
endif()

file(GLOB entries RELATIVE "${DIR}" "${DIR}/*")
list(SORT entries)
set(files "")
foreach(f IN LISTS entries)
	if(f STREQUAL "README.md" OR f MATCHES "^\\.")
		continue()
	endif()
	if(IS_DIRECTORY "${DIR}/${f}" OR NOT f MATCHES "^[0-9][0-9][0-9][0-9]_[a-z0-9]+(_[a-z0-9]+)*\\.sql$")
		message(FATAL_ERROR "${DIR}/${f}: not a migration file name: name migrations "
			"NNNN_words.sql (four digits, then lower-case words joined by _)")
	endif()
	list(APPEND files "${f}")
endforeach()
if(NOT files)
	message(FATAL_ERROR "${DIR}: no migrations (NNNN_words.sql)")
endif()

set(rows "/* The rows of migrate.c's migration table, generated from the\n")
string(APPEND rows " * files in ${DIR} by cmake/embed_migrations.cmake: do not edit. */\n")
set(expected 1)
set(previous "")
foreach(f IN LISTS files)
	string(SUBSTRING "${f}" 0 4 digits)
	# "0012" -> 12
	string(REGEX REPLACE "^0+" "" version "${digits}")
	if(version STREQUAL "")
		set(version 0)
	endif()
	if(previous AND version LESS expected)
		message(FATAL_ERROR "${DIR}: migration number ${digits} is used twice: "
			"${previous} and ${f}")
	elseif(NOT version EQUAL expected)
		string(LENGTH "${expected}" width)
		math(EXPR width "4 - ${width}")
		string(REPEAT "0" ${width} pad)
		if(previous)
			set(where "after ${previous}")
		else()
			set(where "first")
		endif()
		message(FATAL_ERROR "${DIR}: migration numbers have a gap: ${f} comes ${where}, "
			"where ${pad}${expected} is due")
	endif()
	string(REGEX REPLACE "^[0-9]+_(.*)\\.sql$" "\\1" name "${f}")
	string(REPLACE "_" " " name "${name}")

	file(READ "${DIR}/${f}" text)
	# a C string literal, a line of it per line of the file; "?" escaped so
	# no "??x" can be read as a trigraph
	string(REPLACE "\\" "\\\\" text "${text}")
	string(REPLACE "\"" "\\\"" text "${text}")
	string(REPLACE "?" "\\?" text "${text}")
	string(REPLACE "\t" "\\t" text "${text}")
	string(REPLACE "\r" "\\r" text "${text}")
	string(REPLACE "\n" "\\n\"\n\t  \"" text "${text}")
	string(APPEND rows "\t{ ${version}, \"${name}\", \"${f}\",\n\t  \"${text}\" },\n")

	set(previous "${f}")
	math(EXPR expected "${expected} + 1")
endforeach()

# written whole or not at all: a failed run leaves no half table behind
file(WRITE "${OUT}.tmp" "${rows}")
file(RENAME "${OUT}.tmp" "${OUT}")
