# store_commit_bench: durable group-commit throughput of a Store backend.
if(TARGET drover_db)
  add_executable(store_commit_bench ${CMAKE_CURRENT_LIST_DIR}/store_commit_bench.cc)
  target_link_libraries(store_commit_bench PRIVATE drover_db)
endif()
