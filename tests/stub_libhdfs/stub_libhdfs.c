/*
 * A stand-in libhdfs.so for opint's tests (self-written; no Hadoop code).
 *
 * pyarrow's HadoopFileSystem dlopens libjvm, then libhdfs, at run time and dlsyms a
 * fixed list of hdfs* functions (arrow cpp/src/arrow/io/hdfs_internal.cc,
 * LibHdfsShim::GetRequiredSymbols). This library exports that list (the union of
 * recent arrow versions; pyarrow 26 names each missing one as
 * "dlsym(<name>) failed: ...undefined symbol"), and its hdfsBuilderConnect always
 * returns NULL, as the real libhdfs does when CLASSPATH, the cluster config or the
 * Kerberos ticket is missing. That drives pyarrow down its real
 * "HDFS connection failed" path with no Hadoop, no JVM start and no server.
 *
 * No other function is ever reached (no connection is ever made); each fails
 * cleanly anyway.
 *
 * Build: gcc -shared -fPIC -o libhdfs.so stub_libhdfs.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int32_t tSize;
typedef int64_t tOffset;
typedef uint16_t tPort;
typedef void *hdfsFS;
typedef void *hdfsFile;
typedef struct stub_file_info hdfsFileInfo; /* opaque: never built */

/* What pyarrow asked for, echoed by hdfsBuilderConnect so tests can check that the
 * HA nameservice is passed with port 0 (never the default 8020). */
struct hdfsBuilder {
    char name_node[256];
    unsigned port;
    char kerb_ticket[256];
};

static void copy_str(char *dst, size_t size, const char *src) {
    if (src == NULL) src = "(null)";
    snprintf(dst, size, "%s", src);
}

/* ---- builder: enough for pyarrow to configure a connection ---------------------- */

struct hdfsBuilder *hdfsNewBuilder(void) {
    return (struct hdfsBuilder *)calloc(1, sizeof(struct hdfsBuilder));
}
void hdfsBuilderSetNameNode(struct hdfsBuilder *bld, const char *nn) {
    copy_str(bld->name_node, sizeof bld->name_node, nn);
}
void hdfsBuilderSetNameNodePort(struct hdfsBuilder *bld, tPort port) { bld->port = port; }
void hdfsBuilderSetUserName(struct hdfsBuilder *bld, const char *user) { (void)bld; (void)user; }
void hdfsBuilderSetKerbTicketCachePath(struct hdfsBuilder *bld, const char *path) {
    copy_str(bld->kerb_ticket, sizeof bld->kerb_ticket, path);
}
void hdfsBuilderSetForceNewInstance(struct hdfsBuilder *bld) { (void)bld; }
int hdfsBuilderConfSetStr(struct hdfsBuilder *bld, const char *key, const char *val) {
    (void)bld; (void)key; (void)val;
    return 0;
}

/* The point of the stub: every connection fails. Like the real libhdfs, the builder
 * is freed whatever the outcome, details go to stderr only, errno is set. */
hdfsFS hdfsBuilderConnect(struct hdfsBuilder *bld) {
    fprintf(stderr, "opint-stub-libhdfs: refused connect name_node=%s port=%u kerb_ticket=%s\n",
            bld->name_node, bld->port, bld->kerb_ticket[0] ? bld->kerb_ticket : "(unset)");
    free(bld);
    errno = ECONNREFUSED;
    return NULL;
}

/* ---- filesystem and file functions: present so the dlsym checks pass ------------ */

#define FAIL_INT(...) do { errno = ENOTCONN; return -1; } while (0)

int hdfsDisconnect(hdfsFS fs) { (void)fs; FAIL_INT(); }
int hdfsCreateDirectory(hdfsFS fs, const char *path) { (void)fs; (void)path; FAIL_INT(); }
int hdfsDelete(hdfsFS fs, const char *path, int recursive) {
    (void)fs; (void)path; (void)recursive; FAIL_INT();
}
int hdfsExists(hdfsFS fs, const char *path) { (void)fs; (void)path; FAIL_INT(); }
int hdfsRename(hdfsFS fs, const char *old_path, const char *new_path) {
    (void)fs; (void)old_path; (void)new_path; FAIL_INT();
}
char *hdfsGetWorkingDirectory(hdfsFS fs, char *buffer, size_t size) {
    (void)fs; (void)buffer; (void)size;
    errno = ENOTCONN;
    return NULL;
}
void hdfsFreeFileInfo(hdfsFileInfo *info, int n) { (void)info; (void)n; }
tOffset hdfsGetCapacity(hdfsFS fs) { (void)fs; FAIL_INT(); }
tOffset hdfsGetUsed(hdfsFS fs) { (void)fs; FAIL_INT(); }
hdfsFileInfo *hdfsGetPathInfo(hdfsFS fs, const char *path) {
    (void)fs; (void)path;
    errno = ENOTCONN;
    return NULL;
}
hdfsFileInfo *hdfsListDirectory(hdfsFS fs, const char *path, int *n) {
    (void)fs; (void)path;
    if (n) *n = 0;
    errno = ENOTCONN;
    return NULL;
}
int hdfsChown(hdfsFS fs, const char *path, const char *owner, const char *group) {
    (void)fs; (void)path; (void)owner; (void)group; FAIL_INT();
}
int hdfsChmod(hdfsFS fs, const char *path, short mode) { (void)fs; (void)path; (void)mode; FAIL_INT(); }

hdfsFile hdfsOpenFile(hdfsFS fs, const char *path, int flags, int buffer_size, short replication,
                      tSize block_size) {
    (void)fs; (void)path; (void)flags; (void)buffer_size; (void)replication; (void)block_size;
    errno = ENOTCONN;
    return NULL;
}
int hdfsCloseFile(hdfsFS fs, hdfsFile f) { (void)fs; (void)f; FAIL_INT(); }
int hdfsFlush(hdfsFS fs, hdfsFile f) { (void)fs; (void)f; FAIL_INT(); }
tSize hdfsRead(hdfsFS fs, hdfsFile f, void *buffer, tSize length) {
    (void)fs; (void)f; (void)buffer; (void)length; FAIL_INT();
}
int hdfsSeek(hdfsFS fs, hdfsFile f, tOffset pos) { (void)fs; (void)f; (void)pos; FAIL_INT(); }
tOffset hdfsTell(hdfsFS fs, hdfsFile f) { (void)fs; (void)f; FAIL_INT(); }
tSize hdfsWrite(hdfsFS fs, hdfsFile f, const void *buffer, tSize length) {
    (void)fs; (void)f; (void)buffer; (void)length; FAIL_INT();
}
