//! LATENCY DOCTOR's report, word for word Redis 7.0's `createLatencyReport` for the same
//! events and settings: each event's figures with its remarks, then the advice they call
//! for, in Redis's order.
//!
//! Redis also advises against transparent huge pages when its process has some: the core
//! reads nothing of the system, so that advice is never given.

use radish_data::Millis;

use crate::server::Server;

/// What LATENCY DOCTOR says while the monitor is off and nothing was ever recorded.
const DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in \
this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
order to enable it. If we weren't in a deep space mission I'd suggest to take a look at \
https://redis.io/topics/latency-monitor.\n";

/// The pieces of advice, in the order the report gives them.
#[derive(Debug, Default)]
struct Advice {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    local_disk: bool,
    ssd: bool,
    data_writeback: bool,
    disk_contention: bool,
    no_appendfsync: bool,
    relax_fsync_policy: bool,
    write_load_info: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    /// How many were called for (Redis counts some twice, and some it then leaves out).
    count: usize,
}

/// The report at `now`.
pub(super) fn report(server: &Server, now: Millis) -> String {
    let threshold = server.latency.threshold();
    let events = server.latency.events();
    if events.is_empty() && threshold == 0 {
        return DISABLED.to_string();
    }
    let slower_than = server.slowlog.slower_than();
    let now_secs = (now / 1000) as i64;
    let mut report = String::new();
    let mut advice = Advice::default();
    let mut count = 0;
    for (event, series) in events.iter() {
        count += 1;
        if count == 1 {
            report.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind \
                 talking about it, do you Dave?\n\n",
            );
        }
        let analysis = series.analyze(now_secs);
        report.push_str(&format!(
            "{count}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period \
             {:.2} sec). Worst all time event {}ms.",
            analysis.samples,
            analysis.avg,
            analysis.mad,
            analysis.period as f64 / analysis.samples as f64,
            series.max,
        ));
        remarks(event, slower_than, threshold, &mut advice);
        report.push('\n');
    }
    drop(events);
    if count > 0 && advice.count == 0 {
        report.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. \
             Please use the Redis community to get some help, providing this report in your \
             help request.\n",
        );
    } else if count == 0 && advice.count == 0 {
        report.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, \
             not in the slightest bit. I honestly think you ought to sit down calmly, take a \
             stress pill, and think things over.\n",
        );
    } else {
        let config = server.config();
        let fsync_always = config.get("appendfsync") == Some("always");
        let hz = config.get_int("hz");
        drop(config);
        advise(&mut report, &advice, threshold, fsync_always, hz);
    }
    report
}

/// What an event calls for (the remarks Redis adds for each kind).
fn remarks(event: &str, slower_than: i64, threshold: u64, advice: &mut Advice) {
    let is = |name: &str| event.eq_ignore_ascii_case(name);
    if is("command") {
        if slower_than < 0 {
            advice.slowlog_enabled = true;
            advice.count += 1;
        } else if slower_than / 1000 > threshold as i64 {
            advice.slowlog_tuning = true;
            advice.count += 1;
        }
        advice.slowlog_inspect = true;
        advice.large_objects = true;
        advice.count += 2;
    }
    if is("fast-command") {
        advice.scheduler = true;
        advice.count += 1;
    }
    if is("aof-write-pending-fsync") {
        advice.local_disk = true;
        advice.disk_contention = true;
        advice.ssd = true;
        advice.data_writeback = true;
        advice.count += 4;
    }
    if is("aof-write-active-child") {
        advice.no_appendfsync = true;
        advice.data_writeback = true;
        advice.ssd = true;
        advice.count += 3;
    }
    if is("aof-write-alone") {
        advice.local_disk = true;
        advice.data_writeback = true;
        advice.ssd = true;
        advice.count += 3;
    }
    if is("aof-fsync-always") {
        advice.relax_fsync_policy = true;
        advice.count += 1;
    }
    if is("aof-fstat") || is("rdb-unlink-temp-file") {
        advice.disk_contention = true;
        advice.local_disk = true;
        advice.count += 2;
    }
    if is("aof-rewrite-diff-write") || is("aof-rename") {
        advice.write_load_info = true;
        advice.data_writeback = true;
        advice.ssd = true;
        advice.local_disk = true;
        advice.count += 4;
    }
    if is("expire-cycle") {
        advice.hz = true;
        advice.large_objects = true;
        advice.count += 2;
    }
    if is("eviction-del") {
        advice.large_objects = true;
        advice.count += 1;
    }
    if is("eviction-cycle") {
        advice.mass_eviction = true;
        advice.count += 1;
    }
}

/// The advice part of the report.
fn advise(report: &mut String, advice: &Advice, threshold: u64, fsync_always: bool, hz: i64) {
    report.push_str("\nI have a few advices for you:\n\n");
    if advice.slowlog_enabled {
        report.push_str(&format!(
            "- There are latency issues with potentially slow commands you are using. Try to \
             enable the Slow Log Redis feature using the command 'CONFIG SET \
             slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log \
             slow commands execution for you.\n",
            threshold * 1000
        ));
    }
    if advice.slowlog_tuning {
        report.push_str(&format!(
            "- Your current Slow Log configuration only logs events that are slower than your \
             configured latency monitor threshold. Please use 'CONFIG SET \
             slowlog-log-slower-than {}'.\n",
            threshold * 1000
        ));
    }
    if advice.slowlog_inspect {
        report.push_str(
            "- Check your Slow Log to understand what are the commands you are running which \
             are too slow to execute. Please check https://redis.io/commands/slowlog for more \
             information.\n",
        );
    }
    if advice.scheduler {
        report.push_str(
            "- The system is slow to execute Redis code paths not containing system calls. \
             This usually means the system does not provide Redis CPU time to run for long \
             periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / \
             VM just for Redis if you are running other software in the same system.\n  3) \
             Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli \
             --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) \
             Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, \
             if you are using Jemalloc. However this may create fragmentation problems.\n",
        );
    }
    if advice.local_disk {
        report.push_str(
            "- It is strongly advised to use local disks for persistence, especially if you \
             are using AOF. Remote disks provided by platform-as-a-service providers are known \
             to be slow.\n",
        );
    }
    if advice.ssd {
        report.push_str(
            "- SSD disks are able to reduce fsync latency, and total time needed for \
             snapshotting and AOF log rewriting (resulting in smaller memory usage). With \
             extremely high write load SSD disks can be a good option. However Redis should \
             perform reasonably with high load using normal disks. Use this advice as a last \
             resort.\n",
        );
    }
    if advice.data_writeback {
        report.push_str(
            "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost \
             compared to data=ordered, however this mode of operation provides less \
             guarantees, and sometimes it can happen that after a hard crash the AOF file will \
             have a half-written command at the end and will require to be repaired before \
             Redis restarts.\n",
        );
    }
    if advice.disk_contention {
        report.push_str(
            "- Try to lower the disk contention. This is often caused by other disk intensive \
             processes running in the same computer (including other Redis instances).\n",
        );
    }
    if advice.no_appendfsync {
        report.push_str(
            "- Assuming from the point of view of data safety this is viable in your \
             environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so \
             that fsync will not be performed while there is a child rewriting the AOF file or \
             producing an RDB file (the moment where there is high disk contention).\n",
        );
    }
    if advice.relax_fsync_policy && fsync_always {
        report.push_str(
            "- Your fsync policy is set to 'always'. It is very hard to get good performances \
             with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
        );
    }
    if advice.write_load_info {
        report.push_str(
            "- Latency during the AOF atomic rename operation or when the final difference is \
             flushed to the AOF file at the end of the rewrite, sometimes is caused by very \
             high write load, causing the AOF buffer to get very large. If possible try to \
             send less commands to accomplish the same work, or use Lua scripts to group \
             multiple operations into a single EVALSHA call.\n",
        );
    }
    if advice.hz && hz < 100 {
        report.push_str(
            "- In order to make the Redis keys expiring process more incremental, try to set \
             the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
        );
    }
    if advice.large_objects {
        report.push_str(
            "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a \
             blocking operation. If you have very large objects that are often deleted, \
             expired, or evicted, try to fragment those objects into multiple smaller \
             objects.\n",
        );
    }
    if advice.mass_eviction {
        report.push_str(
            "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of \
             large objects via sets or sorted sets intersections, STORE option of SORT, Redis \
             Cluster large keys migrations (RESTORE command), may create sudden memory \
             pressure forcing the server to block trying to evict keys. \n",
        );
    }
}
