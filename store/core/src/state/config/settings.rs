//! The settings hot paths copy out of the configuration when it changes: eviction, and when
//! aggregates change encoding.

use radish_data::evict::{EvictionSettings, Policy};
use radish_data::types::EncodingLimits;

use super::{parse_memory, Config};

impl Config {
    /// `maxmemory` and the eviction parameters.
    pub fn eviction_settings(&self) -> EvictionSettings {
        EvictionSettings {
            maxmemory: self.get_int("maxmemory").max(0) as u64,
            policy: Policy::parse(self.get("maxmemory-policy").unwrap_or("")),
            samples: self.get_int("maxmemory-samples").max(1) as usize,
            lfu_log_factor: self.get_int("lfu-log-factor").clamp(0, i64::from(u32::MAX)) as u32,
            lfu_decay_time: self.get_int("lfu-decay-time").clamp(0, i64::from(u32::MAX)) as u32,
        }
    }

    /// The sizes past which aggregates change encoding (the `*-max-*` parameters).
    pub fn encoding_limits(&self) -> EncodingLimits {
        let defaults = EncodingLimits::default();
        let read = |name: &str, default: usize| {
            self.get(name)
                .and_then(parse_memory)
                .map_or(default, |n| n.max(0) as usize)
        };
        EncodingLimits {
            hash_entries: read("hash-max-listpack-entries", defaults.hash_entries),
            hash_value: read("hash-max-listpack-value", defaults.hash_value),
            set_intset_entries: read("set-max-intset-entries", defaults.set_intset_entries),
            zset_entries: read("zset-max-listpack-entries", defaults.zset_entries),
            zset_value: read("zset-max-listpack-value", defaults.zset_value),
            list_fill: self.get_int("list-max-listpack-size"),
            stream_node_bytes: read("stream-node-max-bytes", defaults.stream_node_bytes as usize)
                as u64,
            stream_node_entries: read(
                "stream-node-max-entries",
                defaults.stream_node_entries as usize,
            ) as u64,
            hll_sparse_bytes: read("hll-sparse-max-bytes", defaults.hll_sparse_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_gives_the_data_layers_defaults() {
        let config = Config::default();
        assert_eq!(config.eviction_settings(), EvictionSettings::default());
        assert_eq!(config.encoding_limits(), EncodingLimits::REDIS_DEFAULTS);
    }
}
