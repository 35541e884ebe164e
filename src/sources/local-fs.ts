import { statfs } from 'node:fs/promises';

/**
 * Filesystems whose reads of a just-written file come from the page cache of this machine: a read there takes
 * microseconds and cannot hang on a server that went away. Magic numbers from statfs(2) (linux/magic.h).
 * Anything else (NFS, CIFS/SMB, FUSE, Ceph, 9p, unknown) counts as remote.
 */
const LOCAL = new Set<number>([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x794c7630, // overlayfs (containers)
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0xca451a4e, // bcachefs
  0x3153464a, // jfs
  0x52654973, // reiserfs
]);

export const isLocalFilesystem = (type: number | bigint): boolean => LOCAL.has(Number(type));

/** Whether `path` lies on a local filesystem; `false` when that cannot be told (statfs missing or failing). */
export async function onLocalFilesystem(path: string): Promise<boolean> {
  try {
    return isLocalFilesystem((await statfs(path)).type);
  } catch {
    return false;
  }
}
