/**
 * Benchmarks of the gateway's data plane, not tests: each class has a {@code main}, is run by
 * {@code ./bench gateway-*}, and prints measurements for BENCHMARKS.md. Nothing here asserts on time.
 */
package dev.portcullis.gateway.bench;
