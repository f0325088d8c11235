// SPDX-License-Identifier: GPL-2.0-only
/* Whole-map reads for kernels that refuse the map-element iterator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <glib.h>

#include "source/mapdump.h"

#define BATCH_ENTRIES 4096

void map_dump__init(struct map_dump *d, uint32_t key_size, uint32_t value_size)
{
	memset(d, 0, sizeof(*d));
	d->key_size = key_size;
	d->value_size = value_size;
}

/* Room for @more entries after the ones read. */
static int reserve(struct map_dump *d, size_t more)
{
	size_t cap = d->cap ? d->cap : BATCH_ENTRIES;
	void *k, *v;

	if (d->n + more <= d->cap)
		return 0;
	while (cap < d->n + more)
		cap *= 2;
	k = realloc(d->keys, cap * d->key_size);
	if (!k)
		return -ENOMEM;
	d->keys = k;
	v = realloc(d->values, cap * d->value_size);
	if (!v)
		return -ENOMEM;
	d->values = v;
	d->cap = cap;
	return 0;
}

/*
 * Batches walk the hash table bucket by bucket: a bucket with more entries
 * than the room given fails with ENOSPC, and is asked again with more.
 */
static int read_batched(struct map_dump *d, int fd, bool delete)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t in[8], out[8];	/* the batch position: a bucket index for hash maps */
	size_t room = BATCH_ENTRIES;
	bool first = true;
	__u32 count;
	int err;

	for (;;) {
		err = reserve(d, room);
		if (err)
			return err;
		count = (__u32)room;
		d->syscalls++;
		err = (delete ? bpf_map_lookup_and_delete_batch : bpf_map_lookup_batch)(
			fd, first ? NULL : in, out, (char *)d->keys + d->n * d->key_size,
			(char *)d->values + d->n * d->value_size, &count, &opts);
		if (err && errno == ENOSPC) {
			room *= 2;
			continue;
		}
		if (err && errno != ENOENT)
			return -errno;
		d->n += count;
		if (err)	/* ENOENT: the end of the map */
			return 0;
		memcpy(in, out, sizeof(in));
		first = false;
	}
}

/*
 * get_next_key() from a key deleted meanwhile starts over at the first
 * bucket: the keys seen are remembered so that nothing is read twice.
 */
static int read_by_key(struct map_dump *d, int fd)
{
	GHashTable *seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
						 (GDestroyNotify)g_bytes_unref, NULL);
	char *key, *prev = g_malloc(d->key_size);	/* the buffers may move: a copy */
	bool started = false;
	GBytes *b;
	int err = 0;

	for (;;) {
		err = reserve(d, 1);
		if (err)
			break;
		key = (char *)d->keys + d->n * d->key_size;
		d->syscalls++;
		if (bpf_map_get_next_key(fd, started ? prev : NULL, key)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		b = g_bytes_new(key, d->key_size);
		if (g_hash_table_contains(seen, b)) {
			g_bytes_unref(b);
			break;	/* started over: everything after was seen */
		}
		g_hash_table_add(seen, b);
		memcpy(prev, key, d->key_size);
		started = true;
		d->syscalls++;
		if (bpf_map_lookup_elem(fd, key, (char *)d->values + d->n * d->value_size))
			continue;	/* deleted since: still a position to go on from */
		d->n++;
	}
	g_hash_table_destroy(seen);
	g_free(prev);
	return err;
}

int map_dump__read(struct map_dump *d, int fd, bool batch)
{
	d->n = 0;
	d->syscalls = 0;
	return batch ? read_batched(d, fd, false) : read_by_key(d, fd);
}

int map_dump__take(struct map_dump *d, int fd, bool batch)
{
	size_t i;
	int err;

	d->n = 0;
	d->syscalls = 0;
	if (batch)
		return read_batched(d, fd, true);
	err = read_by_key(d, fd);
	for (i = 0; !err && i < d->n; i++) {
		d->syscalls++;
		if (bpf_map_delete_elem(fd, (char *)d->keys + i * d->key_size) && errno != ENOENT)
			err = -errno;
	}
	return err;
}

void map_dump__free(struct map_dump *d)
{
	if (!d)
		return;
	free(d->keys);
	free(d->values);
	d->keys = d->values = NULL;
	d->n = d->cap = 0;
}
