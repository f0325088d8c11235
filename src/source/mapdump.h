/* SPDX-License-Identifier: GPL-2.0-only */
/* Read a whole BPF hash map from user space: batched lookups, or one lookup per key. */
#ifndef SOCKFLOW_SOURCE_MAPDUMP_H
#define SOCKFLOW_SOURCE_MAPDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries read, key i at keys + i * key_size; buffers are kept and grown between reads. */
struct map_dump {
	uint32_t key_size, value_size;
	void *keys, *values;
	size_t n, cap;
	uint64_t syscalls;	/* bpf() calls the last read made */
};

/* Set up @d for a map with these key and value sizes. */
void map_dump__init(struct map_dump *d, uint32_t key_size, uint32_t value_size);

/*
 * Read every entry of hash map @fd into @d: with bpf_map_lookup_batch()
 * (5.6+) when @batch, else key by key (get-next-key, lookup). Entries
 * added or deleted meanwhile may or may not be seen; none is read twice.
 * Returns 0 or -errno.
 */
int map_dump__read(struct map_dump *d, int fd, bool batch);

/*
 * Read every entry of hash map @fd into @d and delete it: batched (5.6+)
 * when @batch, else the keys read one by one are deleted one by one.
 * Entries added meanwhile stay in the map or are read; none is lost.
 */
int map_dump__take(struct map_dump *d, int fd, bool batch);

void map_dump__free(struct map_dump *d);

#endif
