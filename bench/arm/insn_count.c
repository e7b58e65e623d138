/* Copyright 2026 mosface authors
 * SPDX-License-Identifier: MIT
 *
 * qemu TCG plugin: counts the guest instructions a program executes, in total
 * and by class (NEON/FP, load/store, branch, integer: the A64 encoding's
 * top-level groups, op0 = bits 28..25). Prints one line at exit:
 *   insn_count total=N simd_fp=N load_store=N branch=N integer=N
 * Inline counters are shared by all vCPUs, not atomic: run the guest on one thread.
 * Built by bench/arm/build_plugin.sh against Debian's qemu-plugin.h (API v1).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { TOTAL, SIMD_FP, LOAD_STORE, BRANCH, INTEGER, CLASSES };
static const char *const class_names[CLASSES] = {"total", "simd_fp", "load_store", "branch", "integer"};
static uint64_t counts[CLASSES];

/* A64 op0 (bits 28..25): 100x data-processing immediate, 101x branch/system,
 * x1x0 load/store, x101 data-processing register, x111 SIMD and FP. */
static int insn_class(uint32_t insn) {
    const uint32_t op0 = (insn >> 25) & 0xf;
    if ((op0 & 0x7) == 0x7) return SIMD_FP;
    if ((op0 & 0x5) == 0x4) return LOAD_STORE;
    if ((op0 & 0xe) == 0xa) return BRANCH;
    return INTEGER;
}

/* Classes are counted per translation block at translate time: one inline add per
 * class a block contains, not one per executed instruction. */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    uint64_t in_block[CLASSES] = {0};
    in_block[TOTAL] = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < in_block[TOTAL]; ++i) {
        uint32_t word = 0;
        memcpy(&word, qemu_plugin_insn_data(qemu_plugin_tb_get_insn(tb, i)), sizeof word); /* A64: 4 bytes */
        in_block[insn_class(word)] += 1;
    }
    for (int c = 0; c < CLASSES; ++c) {
        if (in_block[c]) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counts[c], in_block[c]);
    }
}

static void print_counts(qemu_plugin_id_t id, void *data) {
    g_autoptr(GString) line = g_string_new("insn_count");
    for (int c = 0; c < CLASSES; ++c) g_string_append_printf(line, " %s=%" PRIu64, class_names[c], counts[c]);
    g_string_append_c(line, '\n');
    qemu_plugin_outs(line->str);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, print_counts, NULL);
    return 0;
}
