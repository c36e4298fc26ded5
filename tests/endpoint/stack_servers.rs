//! More server stacks for the endpoint tests (issue 15): GnuTLS (`gnutls-serv`) in a network
//! namespace of its own, reached through a relay on 127.0.0.1, and nginx on a loopback port.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::servers::{Leaf, Owned, start_on_free_port};

/// The port gnutls-serv listens on inside its namespace (the namespace is the server's alone,
/// so a fixed port cannot collide with anything).
const INNER_PORT: u16 = 4433;

/// `gnutls-serv --http` with a priority string and one or more certificate/key pairs.
///
/// gnutls-serv has no option to choose its listening address and binds every interface. It
/// runs in a network namespace of its own whose only interface is loopback, so nothing outside
/// the machine (or even outside the test) can reach it. The test reaches it through a relay on
/// 127.0.0.1: a connector process inside the namespace (forked before gnutls-serv is executed)
/// opens each TCP connection to the server there and hands the socket back over a Unix socket
/// pair (SCM_RIGHTS); the relay copies bytes between that socket and the test's connection.
/// vetter itself runs unchanged in the test's namespace. As root the namespace is a plain
/// `unshare(CLONE_NEWNET)`; otherwise a user namespace is made with it.
pub struct GnutlsServ {
    _proc: Owned,
    _inside: Arc<Inside>,
    pub port: u16,
}

impl GnutlsServ {
    pub fn start(priority: &str, pairs: &[&Leaf]) -> GnutlsServ {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let mut cmd = Command::new("gnutls-serv");
        cmd.args(["--http", "--quiet", "--disable-client-cert", "--nodb"])
            .arg(format!("--port={INNER_PORT}"))
            .arg(format!("--priority={priority}"));
        for l in pairs {
            cmd.arg("--x509certfile").arg(&l.cert).arg("--x509keyfile").arg(&l.key);
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let ctl = theirs.as_raw_fd();
        use std::os::unix::process::CommandExt;
        // SAFETY: only system calls (async-signal-safe) between fork and exec, no allocation.
        unsafe {
            cmd.pre_exec(move || enter_namespace(ctl));
        }
        let mut proc = Owned::spawn(&mut cmd).unwrap_or_else(|e| {
            panic!(
                "gnutls-serv could not start in a network namespace of its own (scripts/test installs \
                 gnutls-bin; the namespace needs root or unprivileged user namespaces): {e}"
            )
        });
        drop(theirs);
        let inside = Arc::new(Inside { ctl: Mutex::new(ours) });
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if inside.connect().is_ok() {
                break;
            }
            if let Ok(Some(_)) = proc.child.try_wait() {
                panic!("gnutls-serv did not start: {}", proc.stderr());
            }
            assert!(Instant::now() < until, "gnutls-serv did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        let port = relay(inside.clone());
        GnutlsServ {
            _proc: proc,
            _inside: inside,
            port,
        }
    }
}

/// The test's end of the connector's socket pair.
struct Inside {
    ctl: Mutex<UnixStream>,
}

impl Inside {
    /// A TCP connection to gnutls-serv, opened inside its namespace.
    fn connect(&self) -> std::io::Result<TcpStream> {
        let s = self.ctl.lock().unwrap();
        (&*s).write_all(&[1])?;
        let mut ok = [0u8; 1];
        let mut iov = libc::iovec {
            iov_base: ok.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let mut cbuf = [0u64; 8];
        // SAFETY: msghdr is plain data; every pointer in it outlives the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf) as _;
        // SAFETY: recvmsg into the buffers above.
        let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n != 1 {
            return Err(std::io::Error::other("the namespace's connector is gone"));
        }
        if ok[0] == 0 {
            return Err(std::io::ErrorKind::ConnectionRefused.into());
        }
        // SAFETY: the connector sent exactly one descriptor with a success byte.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
                return Err(std::io::Error::other("no socket from the namespace's connector"));
            }
            let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const i32);
            Ok(TcpStream::from_raw_fd(fd))
        }
    }
}

/// Runs in the forked child before gnutls-serv is executed: a network namespace with loopback
/// up, and a connector process (a second fork) that stays inside it.
fn enter_namespace(ctl: i32) -> std::io::Result<()> {
    // SAFETY: system calls on the child's own state; no allocation, no locks.
    unsafe {
        let flags = if libc::geteuid() == 0 {
            libc::CLONE_NEWNET
        } else {
            libc::CLONE_NEWUSER | libc::CLONE_NEWNET
        };
        if libc::unshare(flags) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        if s < 0 || libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(s, libc::SIOCSIFFLAGS, &mut req) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::close(s);
        match libc::fork() {
            -1 => Err(std::io::Error::last_os_error()),
            0 => connector(ctl),
            _ => Ok(()),
        }
    }
}

/// The connector: for each byte read from `ctl`, a TCP connection to gnutls-serv inside the
/// namespace, sent back with a success byte (or a zero byte when the connect failed). It ends
/// when the test's end of the pair closes, or when gnutls-serv (its parent) dies.
unsafe fn connector(ctl: i32) -> ! {
    // SAFETY: system calls only; the descriptors are this process's own copies.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // Hold nothing of the test process but the pair's end (its pipes and sockets would
        // otherwise stay open as long as the connector lives).
        libc::syscall(libc::SYS_close_range, 0u32, (ctl - 1) as u32, 0u32);
        libc::syscall(libc::SYS_close_range, (ctl + 1) as u32, u32::MAX, 0u32);
        loop {
            let mut b = 0u8;
            if libc::read(ctl, (&mut b as *mut u8).cast(), 1) != 1 {
                libc::_exit(0);
            }
            let s = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_port = INNER_PORT.to_be();
            addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
            let ok = s >= 0
                && libc::connect(
                    s,
                    (&addr as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                ) == 0;
            let mut byte = ok as u8;
            let mut iov = libc::iovec {
                iov_base: (&mut byte as *mut u8).cast(),
                iov_len: 1,
            };
            let mut cbuf = [0u64; 8];
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            if ok {
                msg.msg_control = cbuf.as_mut_ptr().cast();
                msg.msg_controllen = libc::CMSG_SPACE(4) as _;
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(4) as _;
                std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut i32, s);
            }
            if libc::sendmsg(ctl, &msg, 0) != 1 {
                libc::_exit(0);
            }
            if s >= 0 {
                libc::close(s);
            }
        }
    }
}

/// A listener on 127.0.0.1 whose every connection is relayed to one opened inside the
/// namespace; a connection the server refuses is closed at once.
fn relay(inside: Arc<Inside>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let weak = Arc::downgrade(&inside);
    drop(inside);
    std::thread::spawn(move || {
        for client in l.incoming().flatten() {
            // Once the server is dropped, its relay closes every new connection.
            let Some(inside) = weak.upgrade() else { return };
            let Ok(up) = inside.connect() else { continue };
            drop(inside);
            std::thread::spawn(move || pipe_both(client, up));
        }
    });
    port
}

/// Copies both ways until each side has closed, passing each half-close on.
pub fn pipe_both(client: TcpStream, up: TcpStream) {
    let (Ok(mut c2), Ok(mut u2)) = (client.try_clone(), up.try_clone()) else {
        return;
    };
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut u2, &mut c2);
        let _ = c2.shutdown(Shutdown::Write);
    });
    let (mut c, mut u) = (client, up);
    let mut buf = [0u8; 16 * 1024];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if u.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = u.shutdown(Shutdown::Write);
    let _ = t.join();
}

/// nginx on a loopback port in the foreground (`daemon off`, no master process), with its
/// prefix, pid file and error log in a temporary directory of its own; `server` is the body of
/// its one TLS `server` block (certificates, protocols, headers). The packaged service is
/// never used. Killed on drop.
pub struct Nginx {
    _proc: Owned,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Nginx {
    pub fn start(server: &str) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        // As root nginx serves files as `nobody`: the document root must be readable by it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(d.join("html")).unwrap();
        std::fs::write(d.join("html/index.html"), "ok\n").unwrap();
        let (p, port) = start_on_free_port("nginx", |port| {
            let conf = d.join("nginx.conf");
            std::fs::write(
                &conf,
                format!(
                    "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nmaster_process off;\nworker_processes 1;\n\
                     events {{ worker_connections 64; }}\n\
                     http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
                     fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
                     server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name localhost;\n    root {d}/html;\n    \
                     {server}\n  }}\n}}\n",
                    d = d.display(),
                ),
            )
            .unwrap();
            let mut c = Command::new("nginx");
            c.arg("-e")
                .arg(d.join("error.log"))
                .arg("-p")
                .arg(&d)
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"]);
            c
        });
        Nginx {
            _proc: p,
            _dir: dir,
            port,
        }
    }
}

/// nginx `ssl_certificate`/`ssl_certificate_key` lines for each leaf, in order.
pub fn nginx_certs(leaves: &[&Leaf]) -> String {
    leaves
        .iter()
        .map(|l| {
            format!(
                "ssl_certificate {};\n    ssl_certificate_key {};\n    ",
                l.cert.display(),
                l.key.display()
            )
        })
        .collect()
}
