//! `/var/log/auth.log` lines: sshd attacks and logins, plus cron, systemd,
//! sudo and su noise.

use crate::alias::{Alias, Skew, zipf_weights};
use crate::clock::Clock;
use crate::generate::{LineGen, LongLines, QUIRK_ONE_IN, fill_pattern};
use crate::options::{GenOptions, Quirks};
use crate::out::{StrTable, put_u64};
use crate::population::ip_table;
use crate::rng::Rng;
use crate::tables::{
    ATTACK_USERS, DECOYS, HOSTS, LOCAL_USERS, ODD_USERS, OFFICE_IPS, SUDO_COMMANDS,
    SYSTEMD_MESSAGES,
};

/// Distinct attacker addresses per file.
const ATTACKERS: usize = 6_000;
/// Per mille of attacker addresses that are IPv6.
const ATTACKER_V6_PER_MILLE: u64 = 40;
/// Time between lines is uniform in `0..MAX_STEP_MICROS` (mean 40 ms).
const MAX_STEP_MICROS: u64 = 80_000;
/// Connections in flight whose pid, address and port recur across lines.
const CONN_SLOTS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    // sshd, attacker connections: failures (counted in the summary).
    FailedPassword,
    FailedPublickey,
    FailedNone,
    FailedKeyboard,
    RepeatedFailure,
    // sshd, attacker connections: other.
    InvalidUser,
    ConnectionClosed,
    Disconnected,
    ReceivedDisconnect,
    PamAuthFailure,
    MaxAttempts,
    Handshake,
    // sshd, legitimate logins.
    Accepted,
    SessionOpened,
    SessionClosed,
    UserDisconnect,
    // Other programs.
    CronOpened,
    CronClosed,
    Systemd,
    LogindNew,
    LogindRemoved,
    SudoCommand,
    SudoOpened,
    SudoClosed,
    Su,
}

/// Relative frequencies (per mille of the total 1000); sshd failures make
/// up 270 of it, so 27% of plain lines.
const EVENTS: &[(Event, f64)] = &[
    (Event::FailedPassword, 200.0),
    (Event::FailedPublickey, 15.0),
    (Event::FailedNone, 12.0),
    (Event::FailedKeyboard, 18.0),
    (Event::RepeatedFailure, 25.0),
    (Event::InvalidUser, 70.0),
    (Event::ConnectionClosed, 60.0),
    (Event::Disconnected, 35.0),
    (Event::ReceivedDisconnect, 40.0),
    (Event::PamAuthFailure, 45.0),
    (Event::MaxAttempts, 6.0),
    (Event::Handshake, 14.0),
    (Event::Accepted, 20.0),
    (Event::SessionOpened, 20.0),
    (Event::SessionClosed, 18.0),
    (Event::UserDisconnect, 15.0),
    (Event::CronOpened, 110.0),
    (Event::CronClosed, 110.0),
    (Event::Systemd, 45.0),
    (Event::LogindNew, 25.0),
    (Event::LogindRemoved, 25.0),
    (Event::SudoCommand, 22.0),
    (Event::SudoOpened, 22.0),
    (Event::SudoClosed, 22.0),
    (Event::Su, 11.0),
];

/// Irregular lines (see [`Quirks`]); at most one per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quirk {
    IsoTimestamp,
    MissingPid,
    OddUser,
    InvalidUtf8,
    Nul,
    Decoy,
}

const INVALID_UTF8_USERS: &[&[u8]] =
    &[b"adm\xff\xfein", b"r\xe9seau", b"\xc3\x28user", b"test\x80"];

const KEY_TYPES: &[&[u8]] = &[b"RSA", b"RSA", b"RSA", b"ECDSA", b"ED25519"];

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#[derive(Debug, Clone, Copy)]
struct Conn {
    pid: u32,
    ip: u32,
    port: u16,
    user: u16,
}

/// Whether the program tag carries `[pid]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pid {
    Shown,
    Missing,
}

pub(crate) struct AuthGen {
    rng: Rng,
    clock: Clock,
    host: &'static [u8],
    /// `Mar 27 13:06:56 web-01 `, refreshed when the second changes.
    prefix: Vec<u8>,
    events: Alias,
    attackers: StrTable,
    attacker_pick: Alias,
    user_pick: Alias,
    conns: [Conn; CONN_SLOTS],
    /// Last pid handed out; grows like a real pid counter.
    pid: u32,
    logind_pid: u32,
    session: u64,
    /// Key fingerprints of the local users, for accepted logins.
    local_keys: Vec<[u8; 43]>,
    quirks: Vec<Quirk>,
    long: LongLines,
}

impl AuthGen {
    pub(crate) fn new(opts: &GenOptions) -> Self {
        // Tables come from their own stream so that adding a table entry
        // does not shift every line of the file.
        let mut setup = Rng::new(opts.seed() ^ 0xA17B_0000_0000_0001);
        let host = HOSTS[setup.index(HOSTS.len())].as_bytes();
        let attackers = ip_table(&mut setup, ATTACKERS, ATTACKER_V6_PER_MILLE);
        let attacker_pick = Alias::new(&zipf_weights(ATTACKERS, Skew::FiveQuarters));
        let user_pick = Alias::new(&zipf_weights(ATTACK_USERS.len(), Skew::One));
        let events = Alias::new(&EVENTS.iter().map(|&(_, w)| w).collect::<Vec<_>>());
        let local_keys = LOCAL_USERS
            .iter()
            .map(|_| fingerprint(&mut setup))
            .collect();

        let q = opts.quirks();
        let quirks = [
            (Quirks::ISO_TIMESTAMPS, Quirk::IsoTimestamp),
            (Quirks::MISSING_PID, Quirk::MissingPid),
            (Quirks::ODD_USERS, Quirk::OddUser),
            (Quirks::INVALID_UTF8, Quirk::InvalidUtf8),
            (Quirks::NUL_BYTES, Quirk::Nul),
            (Quirks::DECOYS, Quirk::Decoy),
        ]
        .into_iter()
        .filter_map(|(flag, quirk)| q.contains(flag).then_some(quirk))
        .collect();

        let mut rng = Rng::new(opts.seed());
        let clock = Clock::new(&mut rng);
        let pid = rng.range(900, 30_000) as u32;
        let logind_pid = rng.range(500, 899) as u32;
        let session = rng.range(1, 5_000);
        let long = LongLines::new(
            q.contains(Quirks::LONG_LINES),
            opts.long_line_bytes(),
            &mut rng,
        );
        let mut this = Self {
            rng,
            clock,
            host,
            prefix: Vec::with_capacity(64),
            events,
            attackers,
            attacker_pick,
            user_pick,
            conns: [Conn {
                pid: 0,
                ip: 0,
                port: 0,
                user: 0,
            }; CONN_SLOTS],
            pid,
            logind_pid,
            session,
            local_keys,
            quirks,
            long,
        };
        for i in 0..CONN_SLOTS {
            this.conns[i] = this.new_conn();
        }
        this.refresh_prefix();
        this
    }

    fn refresh_prefix(&mut self) {
        self.prefix.clear();
        self.prefix.extend_from_slice(&self.clock.civil().syslog());
        self.prefix.push(b' ');
        self.prefix.extend_from_slice(self.host);
        self.prefix.push(b' ');
    }

    fn next_pid(&mut self) -> u32 {
        self.pid += 1 + self.rng.below(40) as u32;
        // Linux wraps pids at pid_max (4194304 on 64-bit systems).
        if self.pid >= 4_194_304 {
            self.pid = 300 + self.rng.below(1000) as u32;
        }
        self.pid
    }

    fn new_conn(&mut self) -> Conn {
        Conn {
            pid: self.next_pid(),
            ip: self.attacker_pick.sample(&mut self.rng) as u32,
            port: self.rng.range(1024, 65535) as u16,
            user: self.user_pick.sample(&mut self.rng) as u16,
        }
    }

    /// An attacker connection: a new one (replacing a slot) or one already
    /// in flight, so attempts from one connection share pid, address, port.
    fn attack_conn(&mut self) -> Conn {
        let slot = self.rng.index(CONN_SLOTS);
        if self.rng.below(8) < 3 {
            self.conns[slot] = self.new_conn();
        }
        self.conns[slot]
    }

    fn tag(buf: &mut Vec<u8>, program: &[u8], pid: u32, shown: Pid) {
        buf.extend_from_slice(program);
        if shown == Pid::Shown {
            buf.push(b'[');
            put_u64(buf, u64::from(pid));
            buf.push(b']');
        }
        buf.extend_from_slice(b": ");
    }

    fn ip(&self, conn: &Conn) -> &[u8] {
        self.attackers.get(conn.ip as usize)
    }

    /// `invalid user admin` or `root`.
    fn user_phrase(buf: &mut Vec<u8>, user: u16) {
        let (name, exists) = ATTACK_USERS[user as usize];
        if !exists {
            buf.extend_from_slice(b"invalid user ");
        }
        buf.extend_from_slice(name.as_bytes());
    }

    /// ` from 1.2.3.4 port 56338`
    fn origin(&self, buf: &mut Vec<u8>, conn: &Conn) {
        buf.extend_from_slice(b" from ");
        buf.extend_from_slice(self.ip(conn));
        buf.extend_from_slice(b" port ");
        put_u64(buf, u64::from(conn.port));
    }

    /// `1.2.3.4 port 56338` (sshd omits `from` in these messages).
    fn addr_port(&self, buf: &mut Vec<u8>, ip: &[u8], port: u16) {
        buf.extend_from_slice(ip);
        buf.extend_from_slice(b" port ");
        put_u64(buf, u64::from(port));
    }

    fn failure(&self, buf: &mut Vec<u8>, method: &[u8], conn: &Conn) {
        buf.extend_from_slice(b"Failed ");
        buf.extend_from_slice(method);
        buf.extend_from_slice(b" for ");
        Self::user_phrase(buf, conn.user);
        self.origin(buf, conn);
        buf.extend_from_slice(b" ssh2");
    }

    fn local_user(&mut self) -> usize {
        // Admins log in far more than the rest.
        if self.rng.below(2) == 0 {
            0
        } else {
            self.rng.index(LOCAL_USERS.len())
        }
    }

    fn office_ip(&mut self) -> &'static [u8] {
        OFFICE_IPS[self.rng.index(OFFICE_IPS.len())].as_bytes()
    }

    /// Appends the program tag and message of `event`; returns whether the
    /// line is an sshd authentication failure.
    fn event(&mut self, event: Event, buf: &mut Vec<u8>, pid: Pid) -> bool {
        use Event as E;
        match event {
            E::FailedPassword
            | E::FailedPublickey
            | E::FailedNone
            | E::FailedKeyboard
            | E::RepeatedFailure => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                match event {
                    E::FailedPassword => self.failure(buf, b"password", &conn),
                    E::FailedPublickey => {
                        self.failure(buf, b"publickey", &conn);
                        buf.extend_from_slice(b": ");
                        let key_type = *self.rng.pick(KEY_TYPES);
                        buf.extend_from_slice(key_type);
                        buf.extend_from_slice(b" SHA256:");
                        buf.extend_from_slice(&fingerprint(&mut self.rng));
                    }
                    E::FailedNone => self.failure(buf, b"none", &conn),
                    E::FailedKeyboard => self.failure(buf, b"keyboard-interactive/pam", &conn),
                    _ => {
                        buf.extend_from_slice(b"message repeated ");
                        put_u64(buf, self.rng.range(2, 5));
                        buf.extend_from_slice(b" times: [ ");
                        self.failure(buf, b"password", &conn);
                        buf.push(b']');
                    }
                }
                return true;
            }
            E::InvalidUser => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                let (name, exists) = ATTACK_USERS[conn.user as usize];
                if exists {
                    buf.extend_from_slice(b"Connection closed by authenticating user ");
                    buf.extend_from_slice(name.as_bytes());
                    buf.push(b' ');
                    self.addr_port(buf, self.ip(&conn), conn.port);
                    buf.extend_from_slice(b" [preauth]");
                } else {
                    buf.extend_from_slice(b"Invalid user ");
                    buf.extend_from_slice(name.as_bytes());
                    self.origin(buf, &conn);
                }
            }
            E::ConnectionClosed | E::Disconnected => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                buf.extend_from_slice(if event == E::ConnectionClosed {
                    b"Connection closed by "
                } else {
                    b"Disconnected from "
                });
                let (name, exists) = ATTACK_USERS[conn.user as usize];
                match (self.rng.below(3), exists) {
                    (0, _) if event == E::ConnectionClosed => {}
                    (_, true) => {
                        buf.extend_from_slice(b"authenticating user ");
                        buf.extend_from_slice(name.as_bytes());
                        buf.push(b' ');
                    }
                    (_, false) => {
                        buf.extend_from_slice(b"invalid user ");
                        buf.extend_from_slice(name.as_bytes());
                        buf.push(b' ');
                    }
                }
                self.addr_port(buf, self.ip(&conn), conn.port);
                buf.extend_from_slice(b" [preauth]");
            }
            E::ReceivedDisconnect => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                buf.extend_from_slice(b"Received disconnect from ");
                self.addr_port(buf, self.ip(&conn), conn.port);
                buf.extend_from_slice(if self.rng.below(4) == 0 {
                    b":11: Normal Shutdown, Thank you for playing [preauth]"
                } else {
                    b":11: Bye Bye [preauth]"
                });
            }
            E::PamAuthFailure => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                let (name, exists) = ATTACK_USERS[conn.user as usize];
                if exists {
                    buf.extend_from_slice(
                        b"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
                    );
                    buf.extend_from_slice(self.ip(&conn));
                    buf.extend_from_slice(b"  user=");
                    buf.extend_from_slice(name.as_bytes());
                } else {
                    buf.extend_from_slice(b"pam_unix(sshd:auth): check pass; user unknown");
                }
            }
            E::MaxAttempts => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                buf.extend_from_slice(b"error: maximum authentication attempts exceeded for ");
                Self::user_phrase(buf, conn.user);
                self.origin(buf, &conn);
                buf.extend_from_slice(b" ssh2 [preauth]");
            }
            E::Handshake => {
                let conn = self.attack_conn();
                Self::tag(buf, b"sshd", conn.pid, pid);
                if self.rng.below(2) == 0 {
                    buf.extend_from_slice(
                        b"error: kex_exchange_identification: Connection closed by remote host",
                    );
                } else {
                    buf.extend_from_slice(b"banner exchange: Connection from ");
                    self.addr_port(buf, self.ip(&conn), conn.port);
                    buf.extend_from_slice(b": invalid format");
                }
            }
            E::Accepted => {
                let p = self.next_pid();
                Self::tag(buf, b"sshd", p, pid);
                let u = self.local_user();
                let publickey = self.rng.below(4) != 0;
                buf.extend_from_slice(if publickey {
                    b"Accepted publickey for "
                } else {
                    b"Accepted password for "
                });
                buf.extend_from_slice(LOCAL_USERS[u].0.as_bytes());
                buf.extend_from_slice(b" from ");
                let ip = self.office_ip();
                let port = self.rng.range(1024, 65535) as u16;
                self.addr_port(buf, ip, port);
                buf.extend_from_slice(b" ssh2");
                if publickey {
                    buf.extend_from_slice(b": ED25519 SHA256:");
                    buf.extend_from_slice(&self.local_keys[u]);
                }
            }
            E::SessionOpened => {
                let p = self.next_pid();
                Self::tag(buf, b"sshd", p, pid);
                let (name, uid) = LOCAL_USERS[self.local_user()];
                buf.extend_from_slice(b"pam_unix(sshd:session): session opened for user ");
                buf.extend_from_slice(name.as_bytes());
                buf.extend_from_slice(b"(uid=");
                put_u64(buf, u64::from(uid));
                buf.extend_from_slice(b") by (uid=0)");
            }
            E::SessionClosed => {
                let p = self.next_pid();
                Self::tag(buf, b"sshd", p, pid);
                let (name, _) = LOCAL_USERS[self.local_user()];
                buf.extend_from_slice(b"pam_unix(sshd:session): session closed for user ");
                buf.extend_from_slice(name.as_bytes());
            }
            E::UserDisconnect => {
                let p = self.next_pid();
                Self::tag(buf, b"sshd", p, pid);
                let ip = self.office_ip();
                let port = self.rng.range(1024, 65535) as u16;
                if self.rng.below(2) == 0 {
                    buf.extend_from_slice(b"Received disconnect from ");
                    self.addr_port(buf, ip, port);
                    buf.extend_from_slice(b":11: disconnected by user");
                } else {
                    let (name, _) = LOCAL_USERS[self.local_user()];
                    buf.extend_from_slice(b"Disconnected from user ");
                    buf.extend_from_slice(name.as_bytes());
                    buf.push(b' ');
                    self.addr_port(buf, ip, port);
                }
            }
            E::CronOpened => {
                let p = self.next_pid();
                Self::tag(buf, b"CRON", p, Pid::Shown);
                buf.extend_from_slice(
                    b"pam_unix(cron:session): session opened for user root by (uid=0)",
                );
            }
            E::CronClosed => {
                let p = self.next_pid();
                Self::tag(buf, b"CRON", p, Pid::Shown);
                buf.extend_from_slice(b"pam_unix(cron:session): session closed for user root");
            }
            E::Systemd => {
                Self::tag(buf, b"systemd", 1, Pid::Shown);
                buf.extend_from_slice(self.rng.pick(SYSTEMD_MESSAGES).as_bytes());
            }
            E::LogindNew => {
                Self::tag(buf, b"systemd-logind", self.logind_pid, Pid::Shown);
                self.session += 1;
                buf.extend_from_slice(b"New session ");
                put_u64(buf, self.session);
                buf.extend_from_slice(b" of user ");
                let (name, _) = LOCAL_USERS[self.local_user()];
                buf.extend_from_slice(name.as_bytes());
                buf.push(b'.');
            }
            E::LogindRemoved => {
                Self::tag(buf, b"systemd-logind", self.logind_pid, Pid::Shown);
                let s = self.session.saturating_sub(self.rng.below(5));
                if self.rng.below(2) == 0 {
                    buf.extend_from_slice(b"Removed session ");
                    put_u64(buf, s);
                    buf.push(b'.');
                } else {
                    buf.extend_from_slice(b"Session ");
                    put_u64(buf, s);
                    buf.extend_from_slice(b" logged out. Waiting for processes to exit.");
                }
            }
            E::SudoCommand => {
                let (name, _) = LOCAL_USERS[self.local_user()];
                self.sudo_head(buf, name);
                buf.extend_from_slice(self.rng.pick(SUDO_COMMANDS).as_bytes());
            }
            E::SudoOpened | E::SudoClosed => {
                let (name, uid) = LOCAL_USERS[self.local_user()];
                buf.extend_from_slice(b"sudo: pam_unix(sudo:session): session ");
                if event == E::SudoOpened {
                    buf.extend_from_slice(b"opened for user root(uid=0) by ");
                    buf.extend_from_slice(name.as_bytes());
                    buf.extend_from_slice(b"(uid=");
                    put_u64(buf, u64::from(uid));
                    buf.push(b')');
                } else {
                    buf.extend_from_slice(b"closed for user root");
                }
            }
            E::Su => {
                let p = self.next_pid();
                Self::tag(buf, b"su", p, Pid::Shown);
                let (name, uid) = LOCAL_USERS[self.local_user()];
                if self.rng.below(2) == 0 {
                    buf.extend_from_slice(b"(to root) ");
                    buf.extend_from_slice(name.as_bytes());
                    buf.extend_from_slice(b" on pts/");
                    put_u64(buf, self.rng.below(4));
                } else {
                    buf.extend_from_slice(
                        b"pam_unix(su-l:session): session opened for user root(uid=0) by ",
                    );
                    buf.extend_from_slice(name.as_bytes());
                    buf.extend_from_slice(b"(uid=");
                    put_u64(buf, u64::from(uid));
                    buf.push(b')');
                }
            }
        }
        false
    }

    /// `sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=`
    /// (sudo right-aligns the user name in eight columns).
    fn sudo_head(&mut self, buf: &mut Vec<u8>, name: &str) {
        buf.extend_from_slice(b"sudo: ");
        buf.resize(buf.len() + 8usize.saturating_sub(name.len()), b' ');
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b" : TTY=pts/");
        put_u64(buf, self.rng.below(4));
        buf.extend_from_slice(b" ; PWD=/home/");
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b" ; USER=root ; COMMAND=");
    }

    /// `Failed password for invalid user <name> from <ip> port <n> ssh2`
    /// with a caller-supplied name.
    fn failure_with_name(&mut self, buf: &mut Vec<u8>, name: &[u8]) {
        let conn = self.attack_conn();
        Self::tag(buf, b"sshd", conn.pid, Pid::Shown);
        buf.extend_from_slice(b"Failed password for invalid user ");
        buf.extend_from_slice(name);
        self.origin(buf, &conn);
        buf.extend_from_slice(b" ssh2");
    }

    fn quirk_line(&mut self, quirk: Quirk, buf: &mut Vec<u8>) -> bool {
        match quirk {
            Quirk::IsoTimestamp => {
                // 2026-11-20T10:00:00.123456+00:00 host
                buf.extend_from_slice(&self.clock.civil().iso());
                buf.push(b'.');
                let micros = self.clock.subsec_micros();
                let mut digits = [b'0'; 6];
                let mut m = micros;
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (m % 10) as u8;
                    m /= 10;
                }
                buf.extend_from_slice(&digits);
                buf.extend_from_slice(b"+00:00 ");
                buf.extend_from_slice(self.host);
                buf.push(b' ');
                let event = EVENTS[self.events.sample(&mut self.rng)].0;
                self.event(event, buf, Pid::Shown)
            }
            Quirk::MissingPid => {
                buf.extend_from_slice(&self.prefix);
                let event = match self.rng.below(5) {
                    0 => Event::InvalidUser,
                    1 => Event::ConnectionClosed,
                    _ => Event::FailedPassword,
                };
                self.event(event, buf, Pid::Missing)
            }
            Quirk::OddUser => {
                buf.extend_from_slice(&self.prefix);
                let name = self.rng.pick(ODD_USERS).as_bytes();
                if self.rng.below(4) == 0 {
                    let conn = self.attack_conn();
                    Self::tag(buf, b"sshd", conn.pid, Pid::Shown);
                    buf.extend_from_slice(b"Invalid user ");
                    buf.extend_from_slice(name);
                    self.origin(buf, &conn);
                    false
                } else {
                    self.failure_with_name(buf, name);
                    true
                }
            }
            Quirk::InvalidUtf8 => {
                buf.extend_from_slice(&self.prefix);
                let name = *self.rng.pick(INVALID_UTF8_USERS);
                self.failure_with_name(buf, name);
                true
            }
            Quirk::Nul => {
                if self.rng.below(2) == 0 {
                    // What an unclean shutdown leaves before the next line.
                    let run = self.rng.range(8, 64) as usize;
                    buf.resize(buf.len() + run, 0);
                    buf.extend_from_slice(&self.prefix);
                    self.event(Event::CronOpened, buf, Pid::Shown)
                } else {
                    buf.extend_from_slice(&self.prefix);
                    Self::tag(buf, b"systemd", 1, Pid::Shown);
                    buf.extend_from_slice(b"Started Session \0\0\0 of User \0alice.");
                    false
                }
            }
            Quirk::Decoy => {
                buf.extend_from_slice(&self.prefix);
                buf.extend_from_slice(self.rng.pick(DECOYS).as_bytes());
                false
            }
        }
    }

    fn long_line(&mut self, buf: &mut Vec<u8>) -> bool {
        buf.extend_from_slice(&self.prefix);
        let len = self.long.bytes();
        if self.rng.below(2) == 0 {
            let conn = self.attack_conn();
            Self::tag(buf, b"sshd", conn.pid, Pid::Shown);
            buf.extend_from_slice(b"Failed password for invalid user ");
            fill_pattern(buf, len, b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%n%n%n%x%x%x");
            self.origin(buf, &conn);
            buf.extend_from_slice(b" ssh2");
            true
        } else {
            self.sudo_head(buf, "alice");
            buf.extend_from_slice(b"/usr/bin/echo ");
            fill_pattern(buf, len, b"lorem ipsum dolor sit amet ");
            false
        }
    }
}

/// 43 base64 characters: an unpadded SHA-256 key fingerprint.
fn fingerprint(rng: &mut Rng) -> [u8; 43] {
    let mut out = [0u8; 43];
    let mut bits = 0u64;
    let mut left = 0;
    for (i, c) in out.iter_mut().enumerate() {
        if left == 0 {
            bits = rng.next_u64();
            left = 10;
        }
        let mut sextet = (bits & 63) as usize;
        // 256 bits = 42 full characters + 4 bits: the last character's two
        // low bits are padding, always zero in real fingerprints.
        if i == 42 {
            sextet &= !3;
        }
        *c = BASE64[sextet];
        bits >>= 6;
        left -= 1;
    }
    out
}

impl LineGen for AuthGen {
    #[inline]
    fn push_line(&mut self, buf: &mut Vec<u8>) -> bool {
        if self.clock.advance(self.rng.below(MAX_STEP_MICROS)) {
            self.refresh_prefix();
        }
        if self.long.due() {
            return self.long_line(buf);
        }
        if !self.quirks.is_empty() && self.rng.one_in(QUIRK_ONE_IN) {
            let quirk = *self.rng.pick(&self.quirks);
            return self.quirk_line(quirk, buf);
        }
        buf.extend_from_slice(&self.prefix);
        let event = EVENTS[self.events.sample(&mut self.rng)].0;
        self.event(event, buf, Pid::Shown)
    }
}
