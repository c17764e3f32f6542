//! Loopback plumbing for the Envoy test: upstreams that say who they are, the client side
//! (PROXY protocol header, HTTP/1.1, a TLS ClientHello), the Envoy process and its admin API.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Upstreams on 127.0.0.1; upstream `i` answers with the name `names[i]` of the case in force.
pub(crate) struct Upstreams {
    pub(crate) ports: Vec<u16>,
    pub(crate) names: Arc<Mutex<Vec<String>>>,
}

impl Upstreams {
    pub(crate) fn start(count: usize) -> std::io::Result<Upstreams> {
        let names = Arc::new(Mutex::new(vec![String::new(); count]));
        let mut ports = Vec::new();
        for index in 0..count {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            ports.push(listener.local_addr()?.port());
            let names = Arc::clone(&names);
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let name = names.lock().map(|n| n[index].clone()).unwrap_or_default();
                    thread::spawn(move || answer(stream, &name));
                }
            });
        }
        Ok(Upstreams { ports, names })
    }
}

/// Reads what arrives (an HTTP request head, or whatever a TCP client sends first) and answers
/// with the upstream's name; HTTP requests also get back any `x-meshroute-*` header they carried.
fn answer(mut stream: TcpStream, name: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
    let mut data = Vec::new();
    let mut buf = [0u8; 16384];
    while !data.windows(4).any(|w| w == b"\r\n\r\n") && data.len() < 1 << 20 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&data);
    let reply = if head.contains(" HTTP/1.") {
        let echoed: String = head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("x-meshroute"))
            .map(|l| format!("{l}\n"))
            .collect();
        format!(
            "HTTP/1.1 200 OK\r\nx-upstream: {name}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{echoed}",
            echoed.len()
        )
    } else {
        format!("upstream {name}\n")
    };
    let _ = stream.write_all(reply.as_bytes());
}

/// A PROXY protocol v1 header: the original source and destination the sidecar would see.
pub(crate) fn proxy_header(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let family = if destination.is_ipv4() && source.is_ipv4() { "TCP4" } else { "TCP6" };
    let (src, dst) = match (source.ip(), destination.ip(), family) {
        (s, d, "TCP4") => (s.to_string(), d.to_string()),
        (s, d, _) => (v6(s), v6(d)),
    };
    format!("PROXY {family} {src} {dst} {} {}\r\n", source.port(), destination.port()).into_bytes()
}

fn v6(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().to_string(),
        IpAddr::V6(v6) => v6.to_string(),
    }
}

/// A minimal TLS 1.2 ClientHello carrying `sni` (none when empty): enough for Envoy's
/// tls_inspector to read the server name; the handshake never completes.
pub(crate) fn client_hello(sni: &str) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([7u8; 32]); // random
    body.push(0); // session id
    body.extend([0x00, 0x04, 0xc0, 0x2f, 0x00, 0x9c]); // two cipher suites
    body.extend([0x01, 0x00]); // compression: null
    let mut extensions = Vec::new();
    if !sni.is_empty() {
        let name = sni.as_bytes();
        let list_len = name.len() + 3;
        extensions.extend([0x00, 0x00]);
        extensions.extend(((list_len + 2) as u16).to_be_bytes());
        extensions.extend((list_len as u16).to_be_bytes());
        extensions.push(0);
        extensions.extend((name.len() as u16).to_be_bytes());
        extensions.extend(name);
    }
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);
    let mut handshake = vec![0x01];
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

/// Sends `payload` after the PROXY header and reads until the peer closes (bounded).
pub(crate) fn exchange(port: u16, header: &[u8], payload: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(header)?;
    stream.write_all(payload)?;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    Ok(out)
}

/// A free loopback port, for Envoy's outbound listener.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// An Envoy process, killed when dropped.
pub(crate) struct Envoy {
    child: Child,
    pub(crate) admin: SocketAddr,
}

impl Envoy {
    pub(crate) fn start(binary: &Path, bootstrap: &Path, dir: &Path) -> Result<Envoy, String> {
        let admin_file = dir.join("admin-address");
        let _ = std::fs::remove_file(&admin_file);
        let log = std::fs::File::create(dir.join("envoy.log")).map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(bootstrap)
            // Access-log lines must be readable right after each exchange.
            .args([
                "--concurrency",
                "1",
                "-l",
                "info",
                "--file-flush-interval-msec",
                "20",
                "--base-id-path",
            ])
            .arg(dir.join("base-id"))
            .arg("--use-dynamic-base-id")
            .arg("--admin-address-path")
            .arg(&admin_file)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut envoy =
            Envoy { child, admin: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&admin_file) {
                if let Ok(address) = text.trim().parse() {
                    envoy.admin = address;
                    return Ok(envoy);
                }
            }
            if Instant::now() > deadline || envoy.child.try_wait().ok().flatten().is_some() {
                return Err(format!(
                    "Envoy did not start; see {}",
                    dir.join("envoy.log").display()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET path` on the admin API.
    pub(crate) fn admin(&self, path: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(self.admin) else { return String::new() };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        // Envoy refuses HTTP/1.0 by default (426), the admin listener included.
        let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
    }

    /// A counter's value from `/stats`, 0 when absent.
    pub(crate) fn stat(&self, name: &str) -> u64 {
        // The filter is a regex; a plain name (its dots match themselves too) keeps the request
        // line free of characters Envoy's HTTP parser refuses, and the exact line is picked below.
        let body = self.admin(&format!("/stats?filter={name}"));
        body.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0)
    }

    /// All stats whose name contains `fragment`.
    pub(crate) fn stats_with(&self, fragment: &str) -> Vec<(String, u64)> {
        self.admin("/stats")
            .lines()
            .filter(|l| l.contains(fragment))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(": ")?;
                Some((name.to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `value` to `path` atomically (Envoy watches for the file being moved into place).
pub(crate) fn replace_file(path: &Path, value: &str) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    std::fs::write(&tmp, value)?;
    std::fs::rename(&tmp, path)
}
