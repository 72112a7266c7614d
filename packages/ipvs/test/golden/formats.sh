#!/bin/sh
# The ipvsadm text formats from the real kernel: services of every kind (TCP/UDP/SCTP, IPv4/IPv6,
# fwmark with -6, persistence with -M, scheduler flags, one-packet scheduling, thresholds,
# tunnel types), then every listing. Sections start with "=== name"; the guest test tier and
# RECORD_GOLDEN=1 turn them into formats.<name>.txt beside this script.
set -e
ipvsadm -A -t 192.168.1.229:80 -s wrr -p 60
ipvsadm -a -t 192.168.1.229:80 -r 192.168.1.220:80 -g -w 3
ipvsadm -a -t 192.168.1.229:80 -r 192.168.1.231:80 -g -w 1
ipvsadm -A -u 192.168.1.229:53 -s rr
ipvsadm -a -u 192.168.1.229:53 -r 192.168.1.220:5353 -m -w 0
ipvsadm -a -u 192.168.1.229:53 -r 10.0.0.1:53 -m -w 2 -x 1000 -y 200
ipvsadm -A -f 7 -s sh -b sh-port,sh-fallback
ipvsadm -a -f 7 -r 192.168.1.220:0 -i -w 2 -x 100 -y 10
ipvsadm -a -f 7 -r 192.168.1.221:8080 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -a -f 7 -r 192.168.1.222 -i -w 1 --tun-type gue --tun-port 6081
ipvsadm -a -f 7 -r 192.168.1.223 -i -w 1 --tun-type gue --tun-port 6082 --tun-remcsum
ipvsadm -a -f 7 -r 192.168.1.224 -i -w 1 --tun-type gre --tun-csum
ipvsadm -a -f 7 -r 192.168.1.225 -i -w 1 --tun-type gre
ipvsadm -A -t [2001:db8::29]:443 -s wlc -p 300 -M 64
ipvsadm -a -t [2001:db8::29]:443 -r [2001:db8::20]:443 -g -w 5
ipvsadm -a -t [2001:db8::29]:443 -r [2001:db8::1:0:0:21]:8443 -m -w 65535 -x 7 -y 3
ipvsadm -a -t [2001:db8::29]:443 -r 192.168.1.77 -i -w 4
ipvsadm -A -t 192.168.1.229:8080 -s lc -p 120 -M 255.255.255.0
ipvsadm -A -f 8 -6 -s mh -b mh-port,mh-fallback
ipvsadm -a -f 8 -6 -r [2001:db8::8]:0 -g -w 1
ipvsadm -A -f 9 -s wrr -p 30 -M 255.255.0.0
ipvsadm -A -f 10 -6 -s rr -p 10 -M 48
ipvsadm -A --sctp-service 10.1.1.1:9000 -s nq
ipvsadm -a --sctp-service 10.1.1.1:9000 -r 10.1.1.2:9000 -m
ipvsadm -A -u 10.1.1.1:5060 -s sed -o
ipvsadm -A -u 10.2.2.2:53 -s sh -b sh-port -p 10 -M 255.255.255.0 -o
ipvsadm -A -u [2001:db8::53]:53 -s mh -b mh-port,mh-fallback -p 10 -M 96 -o
ipvsadm -A -t 10.1.1.1:1 -s dh -p
ipvsadm -A -t 10.1.1.1:2 -s lblc
ipvsadm -A -t 10.1.1.1:3 -s lblcr
ipvsadm -A -t 10.1.1.1:4 -s fo
ipvsadm -A -t 10.1.1.1:5 -s ovf
ipvsadm -A -t 10.1.1.1:7 -s mh -b mh-fallback
ipvsadm -A -t 10.1.1.1:8 -s sh -b sh-fallback -p 5 -M 255.255.255.128
ipvsadm -A -t 10.1.1.1:9
ipvsadm -A -t 10.1.1.1:10 -s rr -p 20 -M 0.0.0.0
ipvsadm -A -t 0.0.0.0:0 -s rr -p 1
ipvsadm -A -t 255.255.255.255:65535 -s rr -p 2678400
ipvsadm -a -t 255.255.255.255:65535 -r 255.255.255.254:65535 -m
echo "=== Sn"; ipvsadm -Sn
echo "=== Ln"; ipvsadm -Ln
echo "=== stats"; ipvsadm -Ln --stats
echo "=== rate"; ipvsadm -Ln --rate
echo "=== exact"; ipvsadm -Ln --stats --exact
echo "=== thresholds"; ipvsadm -Ln --thresholds
echo "=== persistent-conn"; ipvsadm -Ln --persistent-conn
echo "=== tun-info"; ipvsadm -Ln --tun-info
echo "=== Lnc"; ipvsadm -Lnc
echo "=== timeout"; ipvsadm -Ln --timeout
echo "=== end"
