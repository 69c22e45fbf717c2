//! nginx/Apache combined access log lines.

use crate::alias::{Alias, Skew, zipf_weights};
use crate::clock::Clock;
use crate::generate::{LineGen, LongLines, QUIRK_ONE_IN, fill_pattern};
use crate::options::{GenOptions, Quirks};
use crate::out::{StrTable, put_hex, put_u64};
use crate::population::ip_table;
use crate::rng::Rng;
use crate::tables::{EXTERNAL_REFERERS, REMOTE_USERS, SITES, UPSTREAMS, USER_AGENTS, WORDS};

/// Distinct client addresses per file.
const CLIENTS: usize = 20_000;
/// Per mille of client addresses that are IPv6.
const CLIENT_V6_PER_MILLE: u64 = 60;
/// Distinct request paths per file.
const PATHS: usize = 4_000;
/// Time between lines is uniform in `0..MAX_STEP_MICROS` (mean 10 ms).
const MAX_STEP_MICROS: u64 = 20_000;

const STATUSES: &[(&[u8; 3], f64)] = &[
    (b"200", 800.0),
    (b"304", 60.0),
    (b"301", 15.0),
    (b"302", 20.0),
    (b"404", 45.0),
    (b"206", 8.0),
    (b"403", 6.0),
    (b"401", 5.0),
    (b"400", 3.0),
    (b"416", 1.0),
    (b"499", 5.0),
    (b"500", 5.0),
    (b"502", 4.0),
    (b"503", 3.0),
    (b"504", 2.0),
];

const METHODS: &[(&[u8], f64)] = &[
    (b"GET", 880.0),
    (b"POST", 70.0),
    (b"HEAD", 25.0),
    (b"OPTIONS", 8.0),
    (b"PUT", 7.0),
    (b"DELETE", 5.0),
    (b"PATCH", 5.0),
];

/// Irregular lines (see [`Quirks`]); at most one per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quirk {
    EscapedQuotes,
    EmptyRequest,
    ExtraFields,
    Malformed,
    CommonFormat,
    InvalidUtf8,
    Nul,
}

/// How one line deviates from the plain combined format.
#[derive(Debug, Clone, Copy, Default)]
struct Style {
    escaped_quotes: bool,
    extra_fields: bool,
    common_format: bool,
    invalid_utf8: bool,
    nul: bool,
    long_agent: bool,
}

/// What kind of resource a path is; decides response sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Page,
    Script,
    Style,
    Image,
    Api,
    /// Scanners probing for things that do not exist: mostly 404.
    Probe,
}

pub(crate) struct AccessGen {
    rng: Rng,
    clock: Clock,
    /// `17/May/2015:10:05:03 +0000`, refreshed when the second changes.
    stamp: [u8; 26],
    clients: StrTable,
    client_pick: Alias,
    /// Usual user agent of each client.
    client_agent: Vec<u8>,
    agent_pick: Alias,
    paths: StrTable,
    path_pick: Alias,
    path_size: Vec<u32>,
    path_probe: Vec<bool>,
    status_pick: Alias,
    method_pick: Alias,
    site: &'static [u8],
    /// Apache logs `-` for an empty body, nginx `0`.
    dash_for_empty: bool,
    quirks: Vec<Quirk>,
    long: LongLines,
}

impl AccessGen {
    pub(crate) fn new(opts: &GenOptions) -> Self {
        let mut setup = Rng::new(opts.seed() ^ 0xACCE_5500_0000_0001);
        let site = SITES[setup.index(SITES.len())].as_bytes();
        let dash_for_empty = setup.below(2) == 0;
        let clients = ip_table(&mut setup, CLIENTS, CLIENT_V6_PER_MILLE);
        let client_pick = Alias::new(&zipf_weights(CLIENTS, Skew::One));
        let agent_pick = Alias::new(&zipf_weights(USER_AGENTS.len(), Skew::One));
        let client_agent = (0..CLIENTS)
            .map(|_| agent_pick.sample(&mut setup) as u8)
            .collect();
        let mut paths = StrTable::default();
        let mut path_size = Vec::with_capacity(PATHS);
        let mut path_probe = Vec::with_capacity(PATHS);
        for i in 0..PATHS {
            let mut resource = Resource::Page;
            paths.push_with(|buf| resource = push_path(&mut setup, buf, i));
            let size = match resource {
                Resource::Page => setup.range(4_000, 90_000),
                Resource::Script => setup.range(20_000, 400_000),
                Resource::Style => setup.range(3_000, 80_000),
                Resource::Image => setup.range(2_000, 2_500_000),
                Resource::Api => setup.range(60, 8_000),
                Resource::Probe => setup.range(150, 600),
            };
            path_size.push(size as u32);
            path_probe.push(resource == Resource::Probe);
        }
        let path_pick = Alias::new(&zipf_weights(PATHS, Skew::One));
        let status_pick = Alias::new(&STATUSES.iter().map(|&(_, w)| w).collect::<Vec<_>>());
        let method_pick = Alias::new(&METHODS.iter().map(|&(_, w)| w).collect::<Vec<_>>());

        let q = opts.quirks();
        let quirks = [
            (Quirks::ESCAPED_QUOTES, Quirk::EscapedQuotes),
            (Quirks::EMPTY_REQUESTS, Quirk::EmptyRequest),
            (Quirks::EXTRA_FIELDS, Quirk::ExtraFields),
            (Quirks::MALFORMED, Quirk::Malformed),
            (Quirks::COMMON_FORMAT, Quirk::CommonFormat),
            (Quirks::INVALID_UTF8, Quirk::InvalidUtf8),
            (Quirks::NUL_BYTES, Quirk::Nul),
        ]
        .into_iter()
        .filter_map(|(flag, quirk)| q.contains(flag).then_some(quirk))
        .collect();

        let mut rng = Rng::new(opts.seed());
        let clock = Clock::new(&mut rng);
        let stamp = clock.civil().clf();
        let long = LongLines::new(
            q.contains(Quirks::LONG_LINES),
            opts.long_line_bytes(),
            &mut rng,
        );
        Self {
            rng,
            clock,
            stamp,
            clients,
            client_pick,
            client_agent,
            agent_pick,
            paths,
            path_pick,
            path_size,
            path_probe,
            status_pick,
            method_pick,
            site,
            dash_for_empty,
            quirks,
            long,
        }
    }

    /// `83.149.9.216 - - [17/May/2015:10:05:03 +0000] "` and the client.
    fn head(&mut self, buf: &mut Vec<u8>) -> usize {
        let client = self.client_pick.sample(&mut self.rng);
        buf.extend_from_slice(self.clients.get(client));
        if self.rng.below(100) == 0 {
            buf.extend_from_slice(b" - ");
            buf.extend_from_slice(self.rng.pick(REMOTE_USERS).as_bytes());
            buf.extend_from_slice(b" [");
        } else {
            buf.extend_from_slice(b" - - [");
        }
        buf.extend_from_slice(&self.stamp);
        buf.extend_from_slice(b"] \"");
        client
    }

    fn line(&mut self, buf: &mut Vec<u8>, style: Style) {
        let client = self.head(buf);

        // Request.
        let method = METHODS[self.method_pick.sample(&mut self.rng)].0;
        buf.extend_from_slice(method);
        buf.push(b' ');
        let path = self.path_pick.sample(&mut self.rng);
        if style.escaped_quotes {
            buf.extend_from_slice(b"/search?q=\\\"");
            buf.extend_from_slice(self.rng.pick(WORDS).as_bytes());
            buf.extend_from_slice(b"\\\"");
        } else {
            buf.extend_from_slice(self.paths.get(path));
        }
        if style.invalid_utf8 {
            buf.extend_from_slice(b"/caf\xe9");
        }
        if style.nul {
            buf.extend_from_slice(b"%00\0.php");
        }
        buf.extend_from_slice(match self.rng.below(100) {
            0..=79 => b" HTTP/1.1\" ",
            80..=96 => b" HTTP/2.0\" ",
            _ => b" HTTP/1.0\" ",
        });

        // Status and body size.
        let status = if self.path_probe[path] && self.rng.below(10) != 0 {
            b"404"
        } else {
            STATUSES[self.status_pick.sample(&mut self.rng)].0
        };
        buf.extend_from_slice(status);
        buf.push(b' ');
        let size = u64::from(self.path_size[path]);
        let noise = self.rng.next_u64() >> 32;
        let bytes = match (status, method) {
            (_, b"HEAD") | (b"304" | b"499" | b"416", _) => 0,
            (b"200", _) => size - noise % (size / 16 + 1),
            (b"206", _) => 1 + noise % size,
            (b"301" | b"302", _) => 162 + noise % 17,
            _ => 150 + noise % 450,
        };
        if bytes == 0 && self.dash_for_empty {
            buf.push(b'-');
        } else {
            put_u64(buf, bytes);
        }
        if style.common_format {
            return;
        }

        // Referer.
        buf.extend_from_slice(b" \"");
        match self.rng.below(100) {
            0..=44 => buf.push(b'-'),
            45..=79 => {
                buf.extend_from_slice(self.site);
                let from = self.path_pick.sample(&mut self.rng);
                buf.extend_from_slice(self.paths.get(from));
            }
            _ => buf.extend_from_slice(self.rng.pick(EXTERNAL_REFERERS).as_bytes()),
        }

        // User agent: mostly the client's usual one.
        buf.extend_from_slice(b"\" \"");
        let agent = if self.rng.below(10) == 0 {
            self.agent_pick.sample(&mut self.rng)
        } else {
            usize::from(self.client_agent[client])
        };
        if style.long_agent {
            buf.extend_from_slice(b"Mozilla/5.0 ");
            let len = self.long.bytes();
            fill_pattern(
                buf,
                len,
                b"(X11; Linux x86_64; Payload/1.0; AAAAAAAAAAAAAAAAAAAAAAAAAA) ",
            );
        } else {
            buf.extend_from_slice(USER_AGENTS[agent].as_bytes());
        }
        if style.escaped_quotes {
            buf.extend_from_slice(b" \\\"x\\\"");
        }
        if style.invalid_utf8 {
            buf.extend_from_slice(b" \xff\xfe");
        }
        if style.nul {
            buf.extend_from_slice(b" \0");
        }
        buf.push(b'"');

        if style.extra_fields {
            // ` 0.123 "10.0.1.7:8080"`: request time and upstream.
            let ms = self.rng.below(3_000);
            buf.push(b' ');
            put_u64(buf, ms / 1000);
            buf.push(b'.');
            let frac = ms % 1000;
            buf.push(b'0' + (frac / 100) as u8);
            buf.push(b'0' + (frac / 10 % 10) as u8);
            buf.push(b'0' + (frac % 10) as u8);
            buf.extend_from_slice(b" \"");
            buf.extend_from_slice(self.rng.pick(UPSTREAMS).as_bytes());
            buf.push(b'"');
        }
    }

    fn quirk_line(&mut self, quirk: Quirk, buf: &mut Vec<u8>) {
        let mut style = Style::default();
        match quirk {
            Quirk::EscapedQuotes => style.escaped_quotes = true,
            Quirk::ExtraFields => style.extra_fields = true,
            Quirk::CommonFormat => style.common_format = true,
            Quirk::InvalidUtf8 => style.invalid_utf8 = true,
            Quirk::Nul => style.nul = true,
            Quirk::EmptyRequest => {
                // A client that connected and sent nothing, or garbage.
                self.head(buf);
                buf.extend_from_slice(if self.rng.below(2) == 0 {
                    b"-\" 400 0 \"-\" \"-\""
                } else {
                    b"-\" 408 0 \"-\" \"-\""
                });
                return;
            }
            Quirk::Malformed => {
                match self.rng.below(3) {
                    0 => {
                        // Cut short, as by a full disk or a killed writer.
                        let start = buf.len();
                        self.line(buf, Style::default());
                        let len = buf.len() - start;
                        buf.truncate(start + 1 + self.rng.index(len - 1));
                    }
                    1 => {
                        // Printable junk.
                        let len = self.rng.range(1, 120);
                        for _ in 0..len {
                            buf.push(self.rng.range(0x20, 0x7E) as u8);
                        }
                    }
                    _ => {
                        // A TLS handshake sent to a plain-HTTP port, as nginx
                        // escapes it.
                        self.head(buf);
                        buf.extend_from_slice(
                            b"\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03\" 400 157 \"-\" \"-\"",
                        );
                    }
                }
                return;
            }
        }
        self.line(buf, style);
    }
}

/// Appends path number `rank` of the population and says what it is. The
/// first ranks, which get most requests, are the usual hot spots.
fn push_path(rng: &mut Rng, buf: &mut Vec<u8>, rank: usize) -> Resource {
    const HOT: &[(&str, Resource)] = &[
        ("/", Resource::Page),
        ("/favicon.ico", Resource::Image),
        ("/static/css/main.css", Resource::Style),
        ("/static/js/app.js", Resource::Script),
        ("/robots.txt", Resource::Page),
        ("/api/v1/health", Resource::Api),
        ("/login", Resource::Page),
        ("/sitemap.xml", Resource::Page),
        ("/feed.xml", Resource::Page),
        ("/index.html", Resource::Page),
    ];
    const PROBES: &[&str] = &[
        "/wp-login.php",
        "/.env",
        "/.git/config",
        "/phpmyadmin/index.php",
        "/xmlrpc.php",
        "/cgi-bin/luci",
        "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
        "/admin/config.php",
        "/boaform/admin/formLogin",
        "/actuator/health",
    ];
    const IMAGE_EXTENSIONS: &[&[u8]] = &[b".jpg", b".png", b".webp", b".gif"];
    if let Some(&(path, resource)) = HOT.get(rank) {
        buf.extend_from_slice(path.as_bytes());
        return resource;
    }
    let word = |rng: &mut Rng| WORDS[rng.index(WORDS.len())].as_bytes();
    match rng.below(20) {
        0..=4 => {
            buf.extend_from_slice(b"/blog/");
            put_u64(buf, rng.range(2015, 2024));
            buf.push(b'/');
            buf.extend_from_slice(word(rng));
            buf.push(b'-');
            buf.extend_from_slice(word(rng));
            buf.push(b'-');
            put_u64(buf, rng.below(1000));
            Resource::Page
        }
        5..=7 => {
            buf.extend_from_slice(b"/products/");
            put_u64(buf, rng.range(1000, 99_999));
            if rng.below(3) == 0 {
                buf.extend_from_slice(b"?color=");
                buf.extend_from_slice(word(rng));
                buf.extend_from_slice(b"&size=");
                buf.push(*rng.pick(b"SML"));
            }
            Resource::Page
        }
        8..=9 => {
            buf.extend_from_slice(b"/static/js/chunk-");
            put_hex(buf, rng.next_u64() >> 32);
            buf.extend_from_slice(b".js");
            Resource::Script
        }
        10 => {
            buf.extend_from_slice(b"/static/css/");
            buf.extend_from_slice(word(rng));
            buf.push(b'.');
            put_hex(buf, rng.next_u64() >> 32);
            buf.extend_from_slice(b".css");
            Resource::Style
        }
        11..=13 => {
            buf.extend_from_slice(b"/images/");
            buf.extend_from_slice(word(rng));
            buf.push(b'-');
            put_u64(buf, rng.below(10_000));
            let ext = *rng.pick(IMAGE_EXTENSIONS);
            buf.extend_from_slice(ext);
            Resource::Image
        }
        14..=16 => {
            buf.extend_from_slice(b"/api/v1/");
            match rng.below(3) {
                0 => {
                    buf.extend_from_slice(b"users/");
                    put_u64(buf, rng.range(1, 500_000));
                }
                1 => {
                    buf.extend_from_slice(b"orders?page=");
                    put_u64(buf, rng.range(1, 40));
                    buf.extend_from_slice(b"&limit=50");
                }
                _ => {
                    buf.extend_from_slice(b"search?q=");
                    buf.extend_from_slice(word(rng));
                    buf.push(b'+');
                    buf.extend_from_slice(word(rng));
                }
            }
            Resource::Api
        }
        17..=18 => {
            buf.extend_from_slice(b"/docs/");
            buf.extend_from_slice(word(rng));
            buf.push(b'/');
            buf.extend_from_slice(word(rng));
            buf.extend_from_slice(b".html");
            Resource::Page
        }
        _ => {
            buf.extend_from_slice(rng.pick(PROBES).as_bytes());
            if rng.below(2) == 0 {
                buf.extend_from_slice(b"?");
                put_u64(buf, rng.below(100_000));
            }
            Resource::Probe
        }
    }
}

impl LineGen for AccessGen {
    #[inline]
    fn push_line(&mut self, buf: &mut Vec<u8>) -> bool {
        if self.clock.advance(self.rng.below(MAX_STEP_MICROS)) {
            self.stamp = self.clock.civil().clf();
        }
        if self.long.due() {
            let style = Style {
                long_agent: true,
                ..Style::default()
            };
            self.line(buf, style);
        } else if !self.quirks.is_empty() && self.rng.one_in(QUIRK_ONE_IN) {
            let quirk = *self.rng.pick(&self.quirks);
            self.quirk_line(quirk, buf);
        } else {
            self.line(buf, Style::default());
        }
        false
    }
}
