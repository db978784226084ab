# Scheduler benchmarks: one full pass at scale, and the drover-sim trace replay.
add_executable(bench_scheduler_pass ${CMAKE_CURRENT_LIST_DIR}/scheduler_pass.cc)
target_link_libraries(bench_scheduler_pass PRIVATE drover_scheduler)
target_include_directories(bench_scheduler_pass PRIVATE ${PROJECT_SOURCE_DIR})

if(TARGET drover_sim)
  add_executable(bench_scheduler_replay ${CMAKE_CURRENT_LIST_DIR}/scheduler_replay.cc)
  target_link_libraries(bench_scheduler_replay PRIVATE drover_sim)
  target_include_directories(bench_scheduler_replay PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(bench_scheduler_replay PRIVATE
    DROVER_TRACE="${PROJECT_SOURCE_DIR}/../shared/traces/KTH-SP2-1996-2.1-cln.swf.gz")
endif()
