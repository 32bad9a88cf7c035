/* main.c -- chanceryd: serve a site over HTTPS.
 *
 *   chanceryd SITE --cert FILE --key FILE [--listen 127.0.0.1] [--port 8443]
 *             [--user chancery-SITE] [--origin https://host:port] [--static DIR]
 *             [--client-ca FILE]
 *   chanceryd --config /etc/chancery/SITE.conf [SITE] [--option VALUE ...]
 *
 * --config: the same settings as `key = value` lines (server/config.h; the
 * systemd unit chanceryd@.service starts it so); an option given on the
 * command line overrides the file's key.
 *
 * --client-ca: the CA that signs mission client certificates; with it the
 * TLS handshake asks for a client certificate and /git/ (sync) serves peers
 * whose certificate the policy's sites.json lists.
 *
 * Starts the signer process (the only one that can open SITE/gnupg; started
 * as root, it runs as the site's keys user chancery-SITE-keys), then
 * becomes the network process: drops to an unprivileged user when started
 * as root, checks that the GnuPG home is closed to it, and serves. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "server.h"
#include "signer.h"
#include "server/config.h"
#include "workflows/sitelog.h"
#include "workflows/store/recover.h"
#include "util/embedded.h"
#include "util/fs.h"
#include "util/journal.h"
#include "util/text.h"
#include "util/common.h"

typedef struct {
	const char *site, *cert, *key, *listen, *user, *origin, *static_dir, *client_ca, *config;
	int port, max_per_ip, log;
	ch_config file; /* --config FILE: what it set */
} opts;

static int usage(void)
{
	fprintf(stderr, "usage: chanceryd SITE --cert FILE --key FILE [--listen 127.0.0.1] "
	        "[--port 8443] [--user chancery-SITE] [--origin https://host:port] [--static DIR] "
	        "[--max-per-ip N] "
	        "[--client-ca FILE]\n"
	        "       chanceryd --config FILE [SITE] [any option above, overriding the file]\n");
	return 2;
}

/* What the command line left unset, from the file (--config), then the
 * defaults. */
static void merge_config(opts *o)
{
	const ch_config *c = &o->file;

#define TAKE(field, from) if (!o->field) o->field = c->from
	TAKE(site, site);
	TAKE(cert, cert);
	TAKE(key, key);
	TAKE(listen, listen);
	TAKE(user, user);
	TAKE(origin, origin);
	TAKE(static_dir, static_dir);
	TAKE(client_ca, client_ca);
#undef TAKE
	if (o->port < 0)
		o->port = c->port;
	if (o->max_per_ip < 0)
		o->max_per_ip = c->max_per_ip;
	o->log = c->log > 0 ? c->log : CH_LOG_AUTO;
	if (!o->listen)
		o->listen = "127.0.0.1";
	if (o->port < 0)
		o->port = 8443;
	if (o->max_per_ip < 0)
		o->max_per_ip = 0;
}

_Static_assert(CH_CONF_MAX_PER_IP == SRV_MAX_CONNECTIONS, "config.h's bound is the server's");

/* A decimal option value in [lo, hi], else -2. */
static int number(const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	return errno || end == v || *end || n < lo || n > hi ? -2 : (int)n;
}

static int parse(opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->port = o->max_per_ip = -1;
	o->file.port = o->file.max_per_ip = o->file.log = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			if (o->site)
				return -1;
			o->site = a;
			continue;
		}
		if (!v)
			return -1;
		if (!strcmp(a, "--cert")) o->cert = v;
		else if (!strcmp(a, "--key")) o->key = v;
		else if (!strcmp(a, "--listen")) o->listen = v;
		else if (!strcmp(a, "--user")) o->user = v;
		else if (!strcmp(a, "--origin")) o->origin = v;
		else if (!strcmp(a, "--static")) o->static_dir = v;
		else if (!strcmp(a, "--client-ca")) o->client_ca = v;
		else if (!strcmp(a, "--config")) o->config = v;
		else if (!strcmp(a, "--port")) o->port = number(v, 1, 65535);
		else if (!strcmp(a, "--max-per-ip")) o->max_per_ip = number(v, 0, SRV_MAX_CONNECTIONS);
		else return -1;
		if (o->port == -2 || o->max_per_ip == -2)
			return -1;
		i++;
	}
	if (o->config && ch_config_load(&o->file, o->config, getuid() == 0) < 0) {
		fprintf(stderr, "chanceryd: %s\n", ch_error_last());
		return -1;
	}
	merge_config(o);
	if (o->max_per_ip < 0 || o->max_per_ip > SRV_MAX_CONNECTIONS)
		return -1;
	return o->site && o->cert && o->key && o->port > 0 && o->port < 65536 ? 0 : -1;
}

/* ---- the signer process ---- */

static int drop_to_keys(const struct passwd *kpw, gid_t site_gid);

/* The keys user's processes (the signer, ensure_log_key's child) in a
 * network namespace of their own, taken while the process still holds
 * the privilege to: no interface but a loopback that is down, so neither
 * it nor the gpg-agent it starts can reach any network (gpg-agent's
 * socket is a path in SITE/gnupg, which works across namespaces; none of
 * them uses an abstract socket). Refused (not started as root, or a
 * container without CAP_SYS_ADMIN): said, and the process goes on, as
 * the network process does without seccomp; the signer's seccomp filter
 * (socket only for AF_UNIX) still keeps it and what it starts off the
 * network. */
static void own_netns(const char *who)
{
	if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr, "chanceryd: warning: %s: no network namespace of its own (%s); it "
		        "keeps the host's, with unix sockets only (seccomp)\n", who, strerror(errno));
}

/* A mount namespace of its own, with an empty tmpfs over each directory
 * where the host's daemons keep their unix sockets (/run, which /var/run
 * names; /tmp, /var/tmp, /dev/shm), except one the site lies below: a
 * network namespace hides abstract sockets only, and seccomp cannot read
 * the path connect() is given, so this is what keeps the signer and the
 * gpg it runs from nscd's, systemd's, a proxy's or any daemon's socket.
 * Nothing the signer needs is there: gpg-agent's socket is in SITE/gnupg
 * (the keys user has no /run/user directory). Best effort, said when
 * refused (a unit with RestrictNamespaces=yes, a start not as root). */
static void own_mountns(const char *site, const char *who)
{
	static const char *const dirs[] = { "/run", "/var/run", "/tmp", "/var/tmp", "/dev/shm" };
	char real_site[PATH_MAX], real[PATH_MAX], done[CH_ARRAY_SIZE(dirs)][PATH_MAX];
	size_t i, j, n = 0, len;

	if (!realpath(site, real_site) || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "chanceryd: warning: %s: no mount namespace of its own (%s); the "
		        "host's unix sockets stay reachable by path\n", who, strerror(errno));
		return;
	}
	for (i = 0; i < CH_ARRAY_SIZE(dirs); i++) {
		if (!realpath(dirs[i], real))
			continue;
		len = strlen(real);
		if (!strncmp(real_site, real, len) && (real_site[len] == '/' || !real_site[len]))
			continue; /* the site is there (a test's, under /tmp) */
		for (j = 0; j < n && strcmp(done[j], real); j++)
			;
		if (j < n)
			continue; /* /var/run is /run */
		if (mount("tmpfs", real, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          strcmp(real, "/run") ? "size=1m,nr_inodes=64,mode=1777" :
		          "size=16k,nr_inodes=16,mode=0755") < 0)
			fprintf(stderr, "chanceryd: warning: %s: cannot hide %s (%s)\n", who, real,
			        strerror(errno));
		else
			snprintf(done[n++], PATH_MAX, "%s", real);
	}
}

/* Drop to the keys user (when started as root), in a network and a mount
 * namespace of its own; then not dumpable (set after the drop, which may
 * reset it): processes of the same user cannot ptrace it or read its
 * memory, where passphrases pass. No new privileges through a
 * set-user-ID program either (it runs gpgconf and gpg-agent). */
static int confine_keys(const char *site, const struct passwd *kpw, gid_t site_gid,
                        const char *who)
{
	own_netns(who);
	own_mountns(site, who);
	if (kpw && drop_to_keys(kpw, site_gid) < 0)
		return -1;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

/* The signer's seccomp filter (server/sandbox.c), inherited by gpgconf
 * and gpg-agent; where seccomp is unavailable, said, and signing goes on
 * (as serving does without the network process's). */
static void sandbox_keys(const char *who)
{
	if (srv_sandbox_signer() < 0)
		fprintf(stderr, "chanceryd: warning: %s: %s; running without it\n", who,
		        ch_error_last());
}

#ifdef CH_TEST_HOOKS
/* test_processes.sh's attack: the signer, taken over, tries to reach a
 * listener on 127.0.0.1:CHANCERY_TEST_SIGNER_CONNECT in the starting
 * network namespace, and says in the server's log what happened; `when`
 * is before or after its seccomp filter. */
static void test_signer_connect(const char *when)
{
	const char *v = getenv("CHANCERY_TEST_SIGNER_CONNECT");
	struct sockaddr_in a;
	int fd, port;

	if (!v || (port = atoi(v)) <= 0 || port > 65535)
		return;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fprintf(stderr, "chanceryd: test: signer %s its filter: socket(AF_INET) failed: %s\n",
		        when, strerror(errno));
	else if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fprintf(stderr, "chanceryd: test: signer %s its filter: connect to 127.0.0.1:%d "
		        "failed: %s\n", when, port, strerror(errno));
	else
		fprintf(stderr, "chanceryd: test: signer %s its filter: CONNECTED to 127.0.0.1:%d\n",
		        when, port);
	if (fd >= 0)
		close(fd);
}

/* The same through a unix socket with a path
 * (CHANCERY_TEST_SIGNER_UNIX: the test's listener under /run), which no
 * network namespace or filter stops: the mount namespace must. */
static void test_signer_unix(const char *when)
{
	const char *v = getenv("CHANCERY_TEST_SIGNER_UNIX");
	struct sockaddr_un a;
	int fd;

	if (!v || strlen(v) >= sizeof(a.sun_path))
		return;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, v, strlen(v));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fprintf(stderr, "chanceryd: test: signer %s its filter: socket(AF_UNIX) failed: %s\n",
		        when, strerror(errno));
	else if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fprintf(stderr, "chanceryd: test: signer %s its filter: connect to %s failed: %s\n",
		        when, v, strerror(errno));
	else
		fprintf(stderr, "chanceryd: test: signer %s its filter: CONNECTED to %s\n", when, v);
	if (fd >= 0)
		close(fd);
}
#else
#define test_signer_connect(when) ((void)0)
#define test_signer_unix(when) ((void)0)
#endif

/* `gpgconf --homedir HOME --kill gpg-agent`, its output to /dev/null;
 * waits for it. Best effort. */
static void gpgconf_kill_agent(const char *home)
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("gpgconf", "gpgconf", "--homedir", home, "--kill", "gpg-agent", (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Stop a gpg-agent already running for the home (an earlier signer's,
 * in its namespace, or ensure_log_key's child's): the agent the signer
 * uses is then one it starts itself, in its namespace and under its
 * filter. Best effort; run under the filter. */
static void stop_old_agent(const char *site)
{
	ch_buf home = CH_BUF_INIT;

	ch_buf_printf(&home, "%s/gnupg", site);
	gpgconf_kill_agent(home.ptr);
	ch_buf_dispose(&home);
}

static pid_t start_signer(srv *s, const char *site, const struct passwd *kpw, gid_t site_gid)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (confine_keys(site, kpw, site_gid, "signer") < 0) {
			fprintf(stderr, "chanceryd: signer: %s\n", ch_error_last());
			_exit(1);
		}
		test_signer_connect("before");
		test_signer_unix("before");
		sandbox_keys("signer");
		test_signer_connect("after");
		test_signer_unix("after");
		stop_old_agent(site);
		_exit(ch_signer_main(sv[1], site));
	}
	close(sv[1]);
	s->signer.fd = sv[0];
	s->signer.site_path = site;
	pthread_mutex_init(&s->signer.lock, NULL);
	return pid;
}

/* ---- privileges ----
 *
 * Started as root, chanceryd runs its network process as the site's own
 * system user (--user, default chancery-SITE; never nobody or root, which
 * other daemons share), and its signer as the site's keys user (USER-keys,
 * chancery-SITE-keys by default: its own user and group, never USER, root
 * or nobody), with USER's group as its one supplementary group so that it
 * can pass through SITE (root:USER 0750). The signer opens nothing but
 * site.json and the GnuPG home. Before anything else the root parent lays
 * the site out: SITE root:USER 0750 (no other local user reads a
 * document), site.json KEYS:USER 0640 (the signer records new keys in it,
 * in place: it cannot write SITE; the network process reads it through
 * its group), gnupg and all under it given to KEYS (0700: gpg wants its
 * home its user's), and repo.git and state/ given to USER with group and
 * world bits for others removed, their top directories 0700 (the signer,
 * in USER's group, cannot open them). Those trees are others' to write,
 * so root walks them by directory descriptor, never following a link,
 * changing only directories and regular files with one link
 * (workflows/site.c's hand_tree habit); it opens nothing else in them:
 * the policy check and the recovery run in the network process after the
 * drop. What the command line run as root left in gnupg/ (key files,
 * gpg's rings, the key guard's counts) is handed back to KEYS here and by
 * the command line itself when it is done (workflows/site.c hand_back). */
#define GIVE_MAX_DEPTH 8
#define GIVE_MAX_ENTRIES 2000000

/* Give the open entry to uid:gid, keeping no more than `mask` of its mode:
 * a directory, or a regular file with one link, that root or uid owns;
 * nothing else. By descriptor: the name may have been swapped since it
 * was looked at, the descriptor cannot. */
static int give_fd(int fd, uid_t uid, gid_t gid, mode_t mask)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && st.st_nlink == 1))
		return 0; /* sockets, fifos, hard links: left alone */
	if (st.st_uid != 0 && st.st_uid != uid)
		return 0; /* someone else's: not ours to give */
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, st.st_mode & mask) < 0)
		return -1;
	return 0;
}

static int give_dir(int fd, uid_t uid, gid_t gid, mode_t mask, mode_t top, int depth,
                    size_t *budget)
{
	DIR *d;
	struct dirent *e;
	int error = 0;

	if (give_fd(fd, uid, gid, depth ? mask : top) < 0 || depth > GIVE_MAX_DEPTH ||
	    !(d = fdopendir(fd))) {
		close(fd);
		return depth > GIVE_MAX_DEPTH ? 0 : -1;
	}
	while (!error && (e = readdir(d)) && (*budget)-- > 0) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR) {
			sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				error = give_dir(sub, uid, gid, mask, top, depth + 1, budget);
		} else if (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) {
			sub = openat(dirfd(d), e->d_name,
			             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			if (sub >= 0) {
				error = give_fd(sub, uid, gid, mask);
				close(sub);
			}
		}
	}
	closedir(d);
	return error;
}

/* Give SITE/name (a directory) and everything under it to uid:gid: modes
 * kept to `mask`, the top directory's to `top`. */
static int give_tree(int site_fd, const char *name, uid_t uid, gid_t gid, mode_t mask,
                     mode_t top)
{
	size_t budget = GIVE_MAX_ENTRIES;
	int fd;

	if (mkdirat(site_fd, name, 0700) < 0 && errno != EEXIST)
		return -1;
	if ((fd = openat(site_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	return give_dir(fd, uid, gid, mask, top, 0, &budget);
}

/* The site's own user: --user, or chancery-SITE (SITE from site.json). */
static int site_user(struct passwd **out, const char *name, const char *site_id)
{
	char def[96];

	if (!name) {
		snprintf(def, sizeof(def), "chancery-%.64s", site_id);
		name = def;
	}
	if (!(*out = getpwnam(name)))
		return ch_error_setc(CH_EINVALID, "no system user '%s' to run the site's network "
		                     "process as; create it (scripts/chancery-users.sh %s)", name,
		                     site_id);
	if ((*out)->pw_uid == 0 || (*out)->pw_gid == 0 || !strcmp(name, "nobody") ||
	    (*out)->pw_uid == 65534)
		return ch_error_setc(CH_EINVALID, "the network process needs a user of its own, not "
		                     "'%s' (shared with other services)", name);
	/* a copy: getpwnam's next call (keys_user) reuses its buffer */
	{
		static struct passwd copy;
		static char name_s[128], dir_s[512];

		copy = **out;
		snprintf(name_s, sizeof(name_s), "%s", (*out)->pw_name);
		snprintf(dir_s, sizeof(dir_s), "%s", (*out)->pw_dir ? (*out)->pw_dir : "/nonexistent");
		copy.pw_name = name_s;
		copy.pw_dir = dir_s;
		copy.pw_passwd = copy.pw_gecos = copy.pw_shell = NULL;
		*out = &copy;
	}
	return 0;
}

/* The site's keys user: USER-keys (chancery-SITE-keys), its own user
 * and group, neither root, nobody nor the network process's user. */
static int keys_user(struct passwd *out, char **buf, const struct passwd *pw)
{
	struct passwd *k;
	char name[128];

	snprintf(name, sizeof(name), "%.100s-keys", pw->pw_name);
	if (!(k = getpwnam(name)))
		return ch_error_setc(CH_EINVALID, "no system user '%s' to run the site's signer as "
		                     "(the keeper of its keys); create it (scripts/chancery-users.sh "
		                     "SITE makes both)", name);
	if (k->pw_uid == 0 || k->pw_gid == 0 || k->pw_uid == 65534 ||
	    k->pw_uid == pw->pw_uid || k->pw_gid == pw->pw_gid)
		return ch_error_setc(CH_EINVALID, "the signer needs a user and group of its own, not "
		                     "'%s' (uid %d, gid %d)", name, (int)k->pw_uid, (int)k->pw_gid);
	*out = *k;
	out->pw_name = *buf = ch_strdup(name);
	out->pw_passwd = out->pw_gecos = out->pw_dir = out->pw_shell = NULL;
	return 0;
}

/* Stop a gpg-agent root (the command line) left running for the home:
 * its socket, root's, would stand in the signer's way. Best effort: an
 * agent of the keys user's own is not root's to reach without
 * CAP_DAC_OVERRIDE, and may stay. Before the home is handed over. */
static void kill_root_agent(const char *site_path)
{
	ch_buf home = CH_BUF_INIT, sock = CH_BUF_INIT;
	struct stat st;

	ch_buf_printf(&home, "%s/gnupg", site_path);
	ch_buf_printf(&sock, "%s/S.gpg-agent", home.ptr);
	if (lstat(sock.ptr, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == 0)
		gpgconf_kill_agent(home.ptr);
	ch_buf_dispose(&home);
	ch_buf_dispose(&sock);
}

/* Root's part: the layout above. */
static int lay_out_site(const char *site_path, const struct passwd *pw, const struct passwd *kpw)
{
	struct stat st;
	int fd, cfd = -1, error = 0;

	if ((fd = open(site_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0)
		return ch_error_setc(CH_EIO, "%s: %s", site_path, strerror(errno));
	if (st.st_uid != 0) {
		close(fd);
		return ch_error_setc(CH_EDENIED, "%s belongs to uid %d: started as root, chanceryd "
		                     "serves only a site directory that root owns", site_path,
		                     (int)st.st_uid);
	}
	if (fchown(fd, 0, pw->pw_gid) < 0 || fchmod(fd, 0750) < 0 ||
	    fstatat(fd, "gnupg", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != kpw->pw_uid) || (st.st_mode & 077))
		error = ch_error_setc(CH_EDENIED, "%s: the site directory must be root's and its "
		                      "GnuPG home root's or %s's, mode 0700", site_path,
		                      kpw->pw_name);
	/* site.json: root's or the keys user's (who records keys in it); its
	 * site id chose the users above, so one written by another site's
	 * keys user (a forged id) is refused here. */
	if (!error && ((cfd = openat(fd, "site.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	               fstat(cfd, &st) < 0))
		error = ch_error_setc(CH_EIO, "%s/site.json: %s", site_path, strerror(errno));
	else if (!error && (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	                    (st.st_uid != 0 && st.st_uid != kpw->pw_uid)))
		error = ch_error_setc(CH_EDENIED, "%s/site.json belongs to uid %d: only root or %s "
		                      "may write it", site_path, (int)st.st_uid, kpw->pw_name);
	else if (!error && (fchown(cfd, kpw->pw_uid, pw->pw_gid) < 0 || fchmod(cfd, 0640) < 0))
		error = ch_error_setc(CH_EIO, "%s/site.json: %s", site_path, strerror(errno));
	if (cfd >= 0)
		close(cfd);
	if (!error)
		kill_root_agent(site_path);
	if (!error && give_tree(fd, "gnupg", kpw->pw_uid, kpw->pw_gid, 0700, 0700) < 0)
		error = ch_error_setc(CH_EIO, "cannot hand gnupg/ to %s: %s", kpw->pw_name,
		                      strerror(errno));
	if (!error && (give_tree(fd, "repo.git", pw->pw_uid, pw->pw_gid, 0750, 0700) < 0 ||
	               give_tree(fd, "state", pw->pw_uid, pw->pw_gid, 0750, 0700) < 0))
		error = ch_error_setc(CH_EIO, "cannot hand repo.git and state/ to %s: %s",
		                      pw->pw_name, strerror(errno));
	close(fd);
	return error;
}

/* The signer's drop (and the log key's maker's): to the keys user, with
 * the site user's group as its one supplementary group (to pass through
 * SITE and read site.json, nothing more: repo.git and state/ are 0700). */
static int drop_to_keys(const struct passwd *kpw, gid_t site_gid)
{
	if (setgroups(1, &site_gid) < 0 || setgid(kpw->pw_gid) < 0 || setuid(kpw->pw_uid) < 0)
		return ch_error_setc(CH_EIO, "cannot drop to %s: %s", kpw->pw_name, strerror(errno));
	if (setuid(0) == 0 || setgid(0) == 0 || geteuid() == 0)
		return ch_error_setc(CH_EIO, "root could be regained after the drop to %s",
		                     kpw->pw_name);
	umask(077); /* what it writes in its home stays its own */
	return 0;
}

static int drop_privileges(const struct passwd *pw)
{
	/* libgit2 reads the global git config from $HOME: point it at the
	 * unprivileged user's home, which it can read, not root's. */
	if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, pw->pw_dir) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, pw->pw_dir) < 0 ||
	    setenv("HOME", pw->pw_dir, 1) < 0)
		return ch_error_setc(CH_EIO, "cannot point git at %s's home", pw->pw_name);
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return ch_error_setc(CH_EIO, "cannot drop privileges: %s", strerror(errno));
	if (setuid(0) == 0 || setgid(0) == 0)
		return ch_error_setc(CH_EIO, "privileges could be regained: refusing to serve");
	umask(027); /* what it writes stays closed to other users */
	return 0;
}

static int check_gnupg_closed(const char *site_path)
{
	ch_buf p = CH_BUF_INIT;
	int fd, error = 0;

	ch_buf_printf(&p, "%s/gnupg/private-keys-v1.d", site_path);
	fd = open(p.ptr, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		error = -1;
	}
	ch_buf_dispose(&p);
	return error;
}

/* ---- start-up ---- */

/* The site's id, from SITE/site.json read without following a link (the
 * directory and the file are root's); a site whose tier there is not
 * networked is refused at once (the signed tier is checked after the
 * drop, check_site). */
static int read_site_id(char *out, size_t size, const char *site_path)
{
	ch_buf p = CH_BUF_INIT, text = CH_BUF_INIT;
	json_t *j = NULL;
	const char *id;
	int fd, error = 0;

	ch_buf_printf(&p, "%s/site.json", site_path);
	if ((fd = open(p.ptr, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", p.ptr, strerror(errno));
	} else {
		char chunk[4096];
		ssize_t n;

		while ((n = read(fd, chunk, sizeof(chunk))) > 0 && text.size < 65536)
			ch_buf_put(&text, chunk, (size_t)n);
		close(fd);
		j = json_loadb(text.ptr, text.size, 0, NULL);
		const char *tier = json_string_value(json_object_get(j, "tier"));

		if (!(id = json_string_value(json_object_get(j, "site"))) || !ch_valid_name(id))
			error = ch_error_setc(CH_EINVALID, "%s: no site id", p.ptr);
		else if (!tier || strcmp(tier, "networked")) /* (the signed tier: check_site) */
			error = ch_error_setc(CH_EDENIED, "site %s is on the %s tier: the networked "
			                      "server refuses to open it", id, tier ? tier : "unknown");
		else
			snprintf(out, size, "%s", id);
	}
	json_decref(j);
	ch_buf_dispose(&p);
	ch_buf_dispose(&text);
	return error;
}

static int load_templates(srv *s)
{
	const ch_embedded *e;
	int error;

	if ((error = ch_tmpl_set_new(&s->tmpl)) < 0)
		return error;
	for (e = ch_embedded_files; e->path; e++) {
		const char *name = e->path + 15;
		size_t n = strlen(name);
		char tname[64];

		if (strncmp(e->path, "templates/html/", 15))
			continue;
		if (!strcmp(name, "style.css")) {
			ch_buf_set(&s->css, e->data, e->len);
			continue;
		}
		if (n <= 5 || n - 5 >= sizeof(tname) || strcmp(name + n - 5, ".html"))
			continue;
		memcpy(tname, name, n - 5);
		tname[n - 5] = '\0';
		if ((error = ch_tmpl_set_add(s->tmpl, tname, (const char *)e->data, e->len)) < 0)
			return error;
	}
	return 0;
}

static int check_site(const char *path)
{
	const ch_policy *pol;
	ch_site *site = NULL;
	git_oid head;
	int error;

	if ((error = ch_site_open(&site, path)) == 0 &&
	    (error = ch_site_policy_head(&head, site)) == 0 &&
	    (error = ch_site_policy(&pol, site, &head)) == 0 && strcmp(pol->tier, "networked"))
		error = ch_error_setc(CH_EDENIED, "site %s is on the %s tier (signed in "
		                      "policy/repository.json): the networked server refuses to open it",
		                      site->site_id, pol->tier);
	ch_site_free(site);
	return error;
}

/* What a killed writer left (a chanceryd or chancery killed mid-step):
 * removed as `chancery recover` does, under the site's write lock held
 * exclusively, so only what no live writer holds (workflows/store/recover.h).
 * Before any thread or the signer starts, as the starting user. A writer
 * from the command line mid-write now: skipped, said, and served anyway. */
static void recover_at_start(srv *s, const char *path)
{
	ch_recover_result res;
	ch_site *site = NULL;
	size_t i;
	int begun = 0;

	if (ch_site_open(&site, path) < 0)
		return;
	if (ch_recover(&res, site, 2000) < 0)
		fprintf(stderr, "chanceryd: recovery at start skipped: %s\n", ch_error_last());
	for (i = 0; i < res.removed.n; i++)
		fprintf(stderr, "chanceryd: recovery: removed %s\n", res.removed.v[i]);
	ch_recover_result_dispose(&res);
	/* the site log: its first entry, if the site has none yet (signed by
	 * the signer, like every entry) */
	site->sign = ch_signer_client_sign;
	site->sign_ctx = &s->signer;
	if (ch_log_begin(site, &begun) < 0)
		fprintf(stderr, "chanceryd: warning: the site log: %s\n", ch_error_last());
	else if (begun)
		fprintf(stderr, "chanceryd: the site log begins, with every head the site holds\n");
	ch_site_free(site);
}

/* The site's own key for its log (sitelog.h): made by the key holder,
 * before the signer starts, if the site has none yet. Started as root, in
 * a child dropped to the keys user first (the home is its; gpg-agent must
 * run as its owner). */
static int make_log_key(const char *path)
{
	ch_site *site = NULL;
	ch_keyinfo key;
	ch_buf pub = CH_BUF_INIT;
	int error;

	if ((error = ch_site_open_keys(&site, path)) == 0)
		error = ch_log_site_key(&key, &pub, site, 1);
	ch_buf_dispose(&pub);
	ch_site_free(site);
	return error;
}

static int ensure_log_key(const char *path, const struct passwd *kpw, gid_t site_gid)
{
	int status;
	pid_t pid;

	if (!kpw)
		return make_log_key(path);
	if ((pid = fork()) < 0)
		return ch_error_setc(CH_EIO, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* confined as the signer is: it runs gpg-agent too */
		if (confine_keys(path, kpw, site_gid, "the site log's key") < 0) {
			fprintf(stderr, "chanceryd: the site log's key: %s\n", ch_error_last());
			_exit(1);
		}
		sandbox_keys("the site log's key");
		if (make_log_key(path) < 0) {
			fprintf(stderr, "chanceryd: the site log's key: %s\n", ch_error_last());
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ch_error_setc(CH_EIO, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ch_error_setc(CH_EIO, "made as %s, it failed (above)", kpw->pw_name);
	return 0;
}

/* Where request lines go: `log` in the file, else the journal when stderr
 * is a stream to it (started by systemd), else text lines on stderr. The
 * journal's socket is connected now, before the drop and the seccomp
 * filter (which allows no AF_UNIX socket); if it cannot be reached the
 * fields go to stderr as logfmt. */
static void setup_log(srv *s, int mode)
{
	const char *path = NULL;

#ifdef CH_TEST_HOOKS
	path = getenv("CHANCERY_TEST_JOURNAL_SOCKET");
#endif
	if (mode == CH_LOG_AUTO)
		mode = ch_journal_stderr_is_journal() ? CH_LOG_JOURNAL : CH_LOG_TEXT;
	s->log_mode = mode;
	if (mode == CH_LOG_JOURNAL && (s->journal_fd = ch_journal_open(path)) < 0) {
		fprintf(stderr, "chanceryd: %s; request fields go to stderr as logfmt\n",
		        ch_error_last());
		s->log_mode = CH_LOG_LOGFMT;
	}
}

static int serve(srv *s, const opts *o, const struct passwd *pw, pid_t signer)
{
	ch_buf cert = CH_BUF_INIT, key = CH_BUF_INIT, client_ca = CH_BUF_INIT;
	sigset_t set;
	int sig, error;

	if ((error = ch_fs_read(&cert, o->cert, 1 << 20)) < 0 ||
	    (error = ch_fs_read(&key, o->key, 1 << 20)) < 0 ||
	    (o->client_ca && (error = ch_fs_read(&client_ca, o->client_ca, 1 << 20)) < 0) ||
	    (error = load_templates(s)) < 0 ||
	    (o->static_dir && (error = srv_static_load(s, o->static_dir)) < 0))
		goto done;
	setup_log(s, o->log);
	if (pw) {
		if ((error = drop_privileges(pw)) < 0)
			goto done;
		if (check_gnupg_closed(o->site) < 0) {
			error = ch_error_setc(CH_EDENIED, "the network process can open the GnuPG home: "
			                      "refusing to serve");
			goto done;
		}
		fprintf(stderr, "chanceryd: network process runs as %s (uid %d); the GnuPG home is "
		        "closed to it; signer is pid %d, as %s-keys\n", pw->pw_name, (int)getuid(),
		        (int)signer, pw->pw_name);
	} else {
		fprintf(stderr, "chanceryd: warning: not started as root, so the network process "
		        "shares the signer's user; start as root to separate them\n");
	}
	/* as the network process's user: it reads and writes these trees */
	if ((error = check_site(o->site)) < 0)
		goto done;
	recover_at_start(s, o->site);
	if (srv_sandbox() < 0)
		fprintf(stderr, "chanceryd: warning: %s; serving without it\n", ch_error_last());
	else
		fprintf(stderr, "chanceryd: seccomp filter loaded in the network process\n");
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((error = srv_start(s, o->listen, o->port, cert.ptr, key.ptr,
	                       o->client_ca ? client_ca.ptr : NULL)) < 0)
		goto done;
	ch_buf_dispose_secret(&key);
	printf("chanceryd: serving %s at https://%s:%d/\n", o->site, o->listen, o->port);
	fflush(stdout);
	sigwait(&set, &sig);
	srv_stop(s);
done:
	ch_buf_dispose(&cert);
	ch_buf_dispose(&client_ca);
	ch_buf_dispose_secret(&key);
	return error;
}

int main(int argc, char **argv)
{
	ch_buf origin = CH_BUF_INIT;
	struct passwd *pw = NULL, kpw_s, *kpw = NULL;
	char site_id[80], *kname = NULL;
	srv s;
	opts o;
	pid_t signer;
	int error;

	signal(SIGPIPE, SIG_IGN);
	if (parse(&o, argc, argv) < 0) {
		ch_config_dispose(&o.file);
		return usage();
	}
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.conn_lock, NULL);
	pthread_cond_init(&s.conn_cond, NULL);
	s.header_seconds = SRV_HEADER_SECONDS;
	ch_buf_init(&s.css);
	s.log_fd = 2;
	s.journal_fd = -1;
	s.max_per_ip = (unsigned)o.max_per_ip;
	s.site_path = realpath(o.site, NULL);
	ch_buf_printf(&origin, "https://%s:%d", o.listen, o.port);
	s.origin = o.origin ? ch_strdup(o.origin) : ch_buf_detach(&origin);
	/* One repository handle per worker thread: keep libgit2's object cache
	 * small (its default is 256 MiB each), the index holds what pages need. */
	if (s.site_path && ch_lib_init() == 0)
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 * 1024 * 1024));
	if (!s.site_path || (error = ch_lib_init()) < 0 ||
	    (getuid() == 0 && ((error = read_site_id(site_id, sizeof(site_id), s.site_path)) < 0 ||
	                       (error = site_user(&pw, o.user, site_id)) < 0 ||
	                       (error = keys_user(&kpw_s, &kname, pw)) < 0 ||
	                       (error = lay_out_site(s.site_path, pw, &kpw_s)) < 0))) {
		fprintf(stderr, "chanceryd: %s\n", s.site_path ? ch_error_last() : strerror(errno));
		free(s.site_path);
		free(s.origin);
		free(kname);
		ch_config_dispose(&o.file);
		return 1;
	}
	if (pw)
		kpw = &kpw_s;
	o.site = s.site_path;
	if (ensure_log_key(s.site_path, kpw, pw ? pw->pw_gid : 0) < 0) {
		fprintf(stderr, "chanceryd: the site log's key: %s\n", ch_error_last());
		free(s.site_path);
		free(s.origin);
		free(kname);
		return 1;
	}
	if ((signer = start_signer(&s, s.site_path, kpw, pw ? pw->pw_gid : 0)) < 0) {
		fprintf(stderr, "chanceryd: cannot start the signer process: %s\n", strerror(errno));
		return 1;
	}
	error = serve(&s, &o, pw, signer);
	if (error < 0)
		fprintf(stderr, "chanceryd: %s\n", ch_error_last());
	close(s.signer.fd);
	if (s.journal_fd >= 0)
		close(s.journal_fd);
	waitpid(signer, NULL, 0);
	ch_tmpl_set_free(s.tmpl);
	srv_static_free(&s);
	ch_buf_dispose(&s.css);
	free(s.sessions);
	free(s.throttles);
	free(s.site_path);
	free(s.origin);
	free(kname);
	ch_config_dispose(&o.file);
	return error < 0 ? 1 : 0;
}
