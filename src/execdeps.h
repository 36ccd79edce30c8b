/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What a command needs to be executed at all, for the restrictive policy's landlock rules: the
 * file itself, the "#!" interpreter chain (following "/usr/bin/env NAME" through 'path', the
 * skill's PATH, or the PATH env itself is told to use) and the ELF program interpreter
 * (PT_INTERP, the dynamic loader) of the binary that finally runs. Paths are returned as found
 * (symlinks unresolved: landlock rules follow them anyway). A file that cannot be read is
 * skipped; execve will say why. Bit i of *ret_via_env (may be NULL) is set where (*ret)[i] is a
 * program env runs, which env, not the kernel, executes; bit i of *ret_env_needs (may be NULL)
 * where it is what such a program needs (its #! interpreter, its loader), which env's execvp()
 * fails on too. */
int execdeps_collect(const char *command, const char *path, char ***ret, unsigned *ret_via_env,
                     unsigned *ret_env_needs);

/* The interpreter the "#!" line of the regular file 'command' names (allocated): -EINVAL when
 * it has none, or the error reading it. */
int execdeps_script_interpreter(const char *command, char **ret);
/* Why execve(2) would refuse the executable regular file 'command', followed along its #! chain
 * as the kernel follows it: 0 no reason seen (or a file on the way cannot be read here);
 * -ENOENT a #! interpreter that does not exist; -EACCES one that is no regular file with an
 * execute bit; -ENOEXEC a file that is neither ELF nor a #! script (a shell script without its
 * #! line, which a shell runs but execve(2) does not), unless binfmt_misc has a handler that
 * may take it; -ELIBBAD, unless the same, an ELF file the kernel does not execute (another
 * machine's, an object file); -ELOOP an interpreter one level deeper than the kernel goes (below five nested
 * scripts). *ret_path (allocated): the interpreter at fault, or for -ENOEXEC and -ELIBBAD the file;
 * *ret_via: the file whose #! line names it (NULL for the command itself). */
int execdeps_chain_fault(const char *command, char **ret_path, char **ret_via);

/* Pure parts, for tests. */
/* "#!/usr/bin/env -S python3 -u\n" → interpreter "/usr/bin/env", argument "-S python3 -u".
 * -EINVAL when buf does not start with "#!" and a path. */
int execdeps_parse_shebang(const char *buf, size_t len, char **ret_interp, char **ret_arg);
/* PT_INTERP of an ELF image held in buf (the first bytes of the file; 4 KiB is enough for
 * every ordinary binary). -ENOENT when static, -EINVAL when not ELF. */
int execdeps_parse_elf_interp(const char *buf, size_t len, char **ret);
