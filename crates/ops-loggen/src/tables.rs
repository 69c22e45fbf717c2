//! Constant word lists the generators draw from.
//!
//! Lists that are sampled with a Zipf law are ordered from most to least
//! popular, so rank 1 (`root`, a desktop Chrome) is the first entry.

/// Host names; one is chosen per auth file, as a real `auth.log` comes from
/// one machine.
pub(crate) const HOSTS: &[&str] = &[
    "web-01",
    "web-02",
    "db-01",
    "bastion",
    "ci-runner-3",
    "mail",
    "vps1234",
    "ubuntu-s-1vcpu",
    "app-prod-7",
    "gateway",
];

/// User names tried by SSH brute-forcers, most tried first, with whether the
/// account exists on the target (sshd says `invalid user` otherwise).
pub(crate) const ATTACK_USERS: &[(&str, bool)] = &[
    ("root", true),
    ("admin", false),
    ("test", false),
    ("ubuntu", true),
    ("user", false),
    ("oracle", false),
    ("postgres", false),
    ("git", false),
    ("guest", false),
    ("ftpuser", false),
    ("pi", false),
    ("support", false),
    ("deploy", true),
    ("mysql", false),
    ("nagios", false),
    ("jenkins", false),
    ("hadoop", false),
    ("ec2-user", false),
    ("centos", false),
    ("debian", false),
    ("administrator", false),
    ("www-data", true),
    ("tomcat", false),
    ("ftp", false),
    ("dev", false),
    ("minecraft", false),
    ("steam", false),
    ("ts3", false),
    ("elastic", false),
    ("ansible", false),
    ("docker", false),
    ("kafka", false),
    ("redis", false),
    ("zabbix", false),
    ("odoo", false),
    ("sysadmin", false),
    ("operator", false),
    ("backup", false),
    ("info", false),
    ("webmaster", false),
    ("demo", false),
    ("student", false),
    ("testuser", false),
    ("user1", false),
    ("test1", false),
    ("admin1", false),
    ("service", false),
    ("server", false),
    ("vagrant", false),
    ("azureuser", false),
    ("ubnt", false),
    ("default", false),
    ("alex", false),
    ("john", false),
    ("david", false),
    ("mike", false),
    ("es", false),
    ("sol", false),
    ("validator", false),
    ("solana", false),
    ("node", false),
    ("gitlab-runner", false),
    ("mongodb", false),
    ("wordpress", false),
    ("vpn", false),
    ("uucp", false),
    ("nobody", true),
    ("daemon", true),
    ("bin", true),
    ("sshd", true),
];

/// Real accounts of the machine: (name, uid).
pub(crate) const LOCAL_USERS: &[(&str, u32)] = &[
    ("alice", 1000),
    ("bob", 1001),
    ("deploy", 1002),
    ("ubuntu", 1003),
    ("carol", 1004),
    ("ops", 1005),
];

/// Sources of legitimate logins (offices, VPN, jump hosts).
pub(crate) const OFFICE_IPS: &[&str] = &[
    "10.0.0.5",
    "10.0.0.17",
    "10.0.3.41",
    "192.168.1.20",
    "192.168.1.33",
    "172.16.4.8",
    "198.51.100.23",
    "203.0.113.77",
    "2001:db8:10::5",
    "2001:db8:10::6",
];

/// User names that break naive field splitting (quirk `odd-users`).
pub(crate) const ODD_USERS: &[&str] = &[
    "",
    "john smith",
    "from",
    "root from 10.9.9.9",
    "x from 10.9.9.9 port 22",
    "admin ",
    " ",
    "port 22",
];

/// Units started by systemd during normal operation.
pub(crate) const SYSTEMD_MESSAGES: &[&str] = &[
    "Started Session 12 of User alice.",
    "Starting Daily apt download activities...",
    "Started Daily apt download activities.",
    "Starting Daily apt upgrade and clean activities...",
    "Finished Daily apt upgrade and clean activities.",
    "Starting Cleanup of Temporary Directories...",
    "Finished Cleanup of Temporary Directories.",
    "Started Clean php session files.",
    "Starting Rotate log files...",
    "Finished Rotate log files.",
    "Started Refresh fwupd metadata and update motd.",
    "Starting Message of the Day...",
    "Started User Manager for UID 1000.",
    "Stopped User Manager for UID 1000.",
];

/// Commands run through sudo.
pub(crate) const SUDO_COMMANDS: &[&str] = &[
    "/usr/bin/apt update",
    "/usr/bin/apt upgrade -y",
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/systemctl status sshd",
    "/usr/bin/journalctl -u ssh --since today",
    "/usr/bin/tail -n 200 /var/log/nginx/error.log",
    "/usr/bin/docker ps",
    "/usr/bin/docker compose up -d",
    "/usr/sbin/ufw status",
    "/bin/bash",
    "/usr/bin/vim /etc/nginx/sites-available/default",
    "/usr/bin/certbot renew",
];

/// Decoy lines (quirk `decoys`): other programs quoting a failed-password
/// message; each is the rest of a line after the host name.
pub(crate) const DECOYS: &[&str] = &[
    "sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/grep Failed password for root from 1.2.3.4 port 22 ssh2 /var/log/auth.log",
    "myapp[77]: Failed password for root from 1.2.3.4 port 22 ssh2",
    "sshd-keygen[412]: Failed password for root from 1.2.3.4 port 22 ssh2",
    "sshdx[9]: Failed password for root from 1.2.3.4 port 22 ssh2",
    "logger[3190]: sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
    "fail2ban-server[880]: Found 1.2.3.4 - Failed password for root from 1.2.3.4 port 22 ssh2",
    "sshd_audit: Failed password for root from 1.2.3.4 port 22 ssh2",
    "CRON[4242]: (root) CMD (echo 'Failed password for root from 1.2.3.4 port 22 ssh2' >> /tmp/x)",
];

/// Common words for building URL paths.
pub(crate) const WORDS: &[&str] = &[
    "about",
    "account",
    "admin",
    "archive",
    "article",
    "banner",
    "blue",
    "cart",
    "checkout",
    "contact",
    "dashboard",
    "default",
    "docs",
    "download",
    "events",
    "faq",
    "feature",
    "gallery",
    "guide",
    "help",
    "home",
    "hero",
    "index",
    "invoice",
    "jobs",
    "logo",
    "main",
    "media",
    "menu",
    "news",
    "order",
    "press",
    "pricing",
    "product",
    "profile",
    "release",
    "report",
    "search",
    "settings",
    "shop",
    "sitemap",
    "summer",
    "support",
    "team",
    "theme",
    "update",
    "vendor",
    "winter",
];

/// User agents, most frequent first, Zipf-sampled.
pub(crate) const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Wget/1.21.4",
    "Go-http-client/1.1",
    "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Prometheus/2.51.0",
    "kube-probe/1.29",
    "Mozilla/5.0 zgrab/0.x",
    "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.10)",
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
    "-",
];

/// External referers (the own site's pages are added by the generator).
pub(crate) const EXTERNAL_REFERERS: &[&str] = &[
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://t.co/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/",
    "https://www.facebook.com/",
    "android-app://com.google.android.gm/",
    "https://yandex.ru/",
    "http://example.net/links.html",
];

/// Sites whose access log is generated; one per file.
pub(crate) const SITES: &[&str] = &[
    "https://www.example.com",
    "https://shop.example.org",
    "http://blog.example.net",
    "https://docs.example.com",
];

/// Authenticated users in access logs (`$remote_user`).
pub(crate) const REMOTE_USERS: &[&str] = &["alice", "bob", "admin", "deploy", "monitor"];

/// Upstreams for the `extra-fields` quirk.
pub(crate) const UPSTREAMS: &[&str] = &[
    "10.0.1.7:8080",
    "10.0.1.8:8080",
    "10.0.1.9:8080",
    "unix:/run/php/php8.2-fpm.sock",
    "-",
];
