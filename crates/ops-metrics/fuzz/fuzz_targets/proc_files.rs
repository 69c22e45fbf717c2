//! Every /proc parser on arbitrary bytes: never a panic, and whatever
//! parses is encodable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    match which % 7 {
        0 => {
            if let Ok(stat) = ops_metrics::parse_proc_stat(text) {
                for (_, t) in &stat.cpus {
                    let _ = t.modes();
                }
            }
        }
        1 => {
            if let Ok(fields) = ops_metrics::parse_meminfo(text) {
                // Names are metric-safe: [A-Za-z0-9_] only.
                assert!(fields.iter().all(|f| f
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')));
            }
        }
        2 => {
            if let Ok(load) = ops_metrics::parse_loadavg(text) {
                assert!(load.one.is_finite() && load.one >= 0.0);
            }
        }
        3 => {
            let _ = ops_metrics::parse_net_dev(text);
        }
        4 => {
            let _ = ops_metrics::parse_mounts(text);
        }
        5 => {
            let _ = ops_metrics::parse_pid_stat(text);
        }
        _ => {
            let _ = ops_metrics::parse_max_open_files(text);
        }
    }
});
