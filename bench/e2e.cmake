# End-to-end benchmarks on a real local cluster (droverd + drover-node).
add_executable(bench_e2e_throughput ${CMAKE_CURRENT_LIST_DIR}/e2e_throughput.cc
                                    ${CMAKE_CURRENT_LIST_DIR}/spawn_ceiling.cc)
target_include_directories(bench_e2e_throughput PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_e2e_throughput PRIVATE drover_test_support Threads::Threads)
add_dependencies(bench_e2e_throughput droverd drover-node drover-supervisor)

add_executable(bench_submit_throughput ${CMAKE_CURRENT_LIST_DIR}/submit_throughput.cc)
target_include_directories(bench_submit_throughput PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_submit_throughput PRIVATE drover_test_support)
add_dependencies(bench_submit_throughput droverd)

add_executable(bench_node_loss_recovery ${CMAKE_CURRENT_LIST_DIR}/node_loss_recovery.cc)
target_include_directories(bench_node_loss_recovery PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_node_loss_recovery PRIVATE drover_test_support)
add_dependencies(bench_node_loss_recovery droverd drover-node drover-supervisor)

add_executable(bench_deployment_scale ${CMAKE_CURRENT_LIST_DIR}/deployment_scale.cc)
target_include_directories(bench_deployment_scale PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_deployment_scale PRIVATE drover_test_support Threads::Threads)
add_dependencies(bench_deployment_scale droverd drover-node drover-supervisor)

add_executable(bench_ordinal_failover ${CMAKE_CURRENT_LIST_DIR}/ordinal_failover.cc)
target_include_directories(bench_ordinal_failover PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_ordinal_failover PRIVATE drover_test_support)
add_dependencies(bench_ordinal_failover droverd drover-node drover-supervisor)

add_executable(bench_log_lag ${CMAKE_CURRENT_LIST_DIR}/log_lag.cc)
target_include_directories(bench_log_lag PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_log_lag PRIVATE drover_test_support)
add_dependencies(bench_log_lag droverd drover-node drover-supervisor drover-log-shipper)

add_executable(bench_slurm_throughput ${CMAKE_CURRENT_LIST_DIR}/slurm_throughput.cc)
target_include_directories(bench_slurm_throughput PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_slurm_throughput PRIVATE drover_test_support)
add_dependencies(bench_slurm_throughput droverd drover-node drover-supervisor drover)

add_executable(bench_queued_job_memory ${CMAKE_CURRENT_LIST_DIR}/queued_job_memory.cc)
target_include_directories(bench_queued_job_memory PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(bench_queued_job_memory PRIVATE drover_test_support)
add_dependencies(bench_queued_job_memory droverd)
