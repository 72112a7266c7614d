/**
 * Keywords keepalived (2.2.x, from keepalived.conf(5)) accepts but lvsfleet does not act on, per block.
 * The parser keeps such statements and reports each one as a warning; a keyword in none of these lists
 * and not understood by the grammar is refused as unknown (with a did-you-mean when one is close).
 */

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

export const TOP_LEVEL_UNMODELLED = words(`
  net_namespace net_namespace_ipvs namespace_with_ipsets instance use_pid_dir linkbeat_use_polling
  child_wait_time linkbeat_interfaces static_track_group static_ipaddress static_routes static_rules
  track_file vrrp_track_file vrrp_track_process bfd_instance vrrp_script garp_group SSL
`);

export const GLOBAL_DEFS_UNMODELLED = words(`
  admin bfd_cpu_affinity bfd_no_swap bfd_priority bfd_process_name bfd_rlimit_rttime bfd_rt_priority
  checker_cpu_affinity checker_log_all_failures checker_no_swap checker_priority checker_process_name
  checker_rlimit_rttime checker_rt_priority config_save_dir data_use_instance dbus_service_name
  default_interface disable_local_igmp dynamic_interfaces enable_dbus enable_script_security
  enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_vrrp enable_traps
  fifo_write_vrrp_states_on_reload include_check log_unknown_vrids lvs_flush lvs_flush_on_stop
  lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs
  lvs_netlink_monitor_rcv_bufs_force lvs_notify_fifo lvs_notify_fifo_script lvs_sync_daemon lvs_timeouts
  max_auto_priority min_auto_priority_delay nftables nftables_counters nftables_ifindex nftables_ipvs
  nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails no_email_faults
  notification_email notification_email_from notify_fifo notify_fifo_script process_monitor_rcv_bufs
  process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config reload_file
  reload_repeat reload_time_file rs_init_notifies script_user shutdown_script shutdown_script_timeout
  smtp_alert smtp_alert_checker smtp_alert_vrrp smtp_connect_timeout smtp_helo_name smtp_server
  snmp_socket startup_script startup_script_timeout tmp_config_directory umask vmac_addr_prefix
  vmac_prefix vrrp_check_unicast_src vrrp_cpu_affinity vrrp_down_timer_adverts vrrp_garp_extra_if
  vrrp_garp_interval vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_garp_master_delay
  vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat vrrp_garp_master_repeat vrrp_gna_interval
  vrrp_higher_prio_send_advert vrrp_ipsets vrrp_iptables vrrp_lower_prio_no_advert vrrp_mcast_group4
  vrrp_mcast_group6 vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force
  vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_no_swap vrrp_notify_fifo
  vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_priority vrrp_process_name
  vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy
  vrrp_skip_check_adv_addr vrrp_startup_delay vrrp_strict vrrp_version lvs_id
  net_namespace net_namespace_ipvs namespace_with_ipsets instance use_pid_dir linkbeat_use_polling
`);

export const VRRP_INSTANCE_UNMODELLED = words(`
  accept check_unicast_src debug dont_track_primary down_timer_adverts garp_extra_if
  garp_lower_prio_delay garp_lower_prio_repeat higher_prio_send_advert kernel_rx_buf_size
  linkbeat_use_polling lower_prio_no_advert mcast_dst_ip native_ipv6 no_accept
  notify_master_rx_lower_pri notify_priority_changes notify_deleted old_unicast_checksum
  promote_secondaries skip_check_adv_addr smtp_alert strict_mode track_bfd track_file track_interface
  track_process track_script track_src_ip unicast_fault_no_peer unicast_ttl use_ipvlan use_vmac
  use_vmac_addr virtual_ipaddress_excluded virtual_routes virtual_rules vmac_xmit_base vrf
  lvs_sync_daemon_interface
`);

export const VRRP_SYNC_GROUP_UNMODELLED = words(`
  global_tracking notify_deleted notify_priority_changes smtp_alert sync_group_tracking_weight
  track_bfd track_file track_interface track_process track_script
`);

export const VIRTUAL_SERVER_UNMODELLED = words(`
  ha_suspend smtp_alert persistence_engine flag-3 hashed
`);

export const REAL_SERVER_UNMODELLED = words(`
  notify_up notify_down smtp_alert snmp_name alpha
`);

/** Options every checker has that lvsfleet does not model. */
export const CHECKER_UNMODELLED = words(`
  bind_if bind_port fwmark log_all_failures alpha
`);

export const HTTP_CHECK_UNMODELLED = words(`http_protocol fast_recovery`);

export const URL_UNMODELLED = words(`
  regex regex_no_match regex_options regex_stack regex_min_offset regex_max_offset
`);

export const MISC_CHECK_UNMODELLED = words(`user`);

/** Checkers keepalived has and lvsfleet does not implement: kept, reported, not applied. */
export const UNMODELLED_CHECKERS = words(`SMTP_CHECK DNS_CHECK BFD_CHECK UDP_CHECK PING_CHECK FILE_CHECK`);

/** The closest of `candidates` to `word`, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}
