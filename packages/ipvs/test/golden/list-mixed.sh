#!/bin/sh
ipvsadm -A -t 192.168.1.229:80 -s wrr -p 60
ipvsadm -a -t 192.168.1.229:80 -r 192.168.1.220:80 -g -w 3
ipvsadm -a -t 192.168.1.229:80 -r 192.168.1.231:80 -g -w 1
ipvsadm -A -u 192.168.1.229:53 -s rr
ipvsadm -a -u 192.168.1.229:53 -r 192.168.1.220:53 -m -w 0
ipvsadm -A -f 7 -s sh -b sh-port,sh-fallback
ipvsadm -a -f 7 -r 192.168.1.220:0 -i -w 2 -x 100 -y 10
ipvsadm -A -t [2001:db8::29]:443 -s wlc -p 300 -M 64
ipvsadm -a -t [2001:db8::29]:443 -r [2001:db8::20]:443 -g -w 5
ipvsadm -A -t 192.168.1.229:8080 -s lc -p 120 -M 255.255.255.0
ipvsadm -A -f 8 -6 -s mh -b mh-port
echo ===Ln; ipvsadm -Ln
echo ===Sn; ipvsadm -Sn
echo ===stats; ipvsadm -Ln --stats
echo ===rate; ipvsadm -Ln --rate
echo ===thresholds; ipvsadm -Ln --thresholds
echo ===persistent; ipvsadm -Ln --persistent-conn
echo ===Lnc; ipvsadm -Lnc
