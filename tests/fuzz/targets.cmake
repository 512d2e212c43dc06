# The fuzz targets: tests/fuzz/<name>_fuzz.cpp and tests/fuzz/corpus/<name>/ each.
set(RETORT_FUZZ_TARGETS revision_file sql_splitter database_url keyword_string retort_toml
  json_check json_path)
