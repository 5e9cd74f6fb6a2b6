/* SPDX-License-Identifier: MIT */
/* Placeholder until written. */
typedef int gd_placeholder_infer;
