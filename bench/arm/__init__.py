"""RK3399 estimates from aarch64 instruction counts (qemu-user + a TCG plugin), on a checkout's cross build."""
