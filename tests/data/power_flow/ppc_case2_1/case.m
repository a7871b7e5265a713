function mpc = ppc_case2_1
%% case2_1: a presolved pandapower test grid in MATPOWER case format version 2.
%% Source: e2nIEE/pandapower pandapower/test/converter/ppc_testgrids/case2_1.json (bus ids shifted by +1: MATPOWER numbers buses from 1).

mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	4	3	0	0	0	0	1	1.02	14.999999999999998	110	0	1.1	0.9;
	1	1	100	50	0	0	2	0.9935967956270771	12.172135353378103	110	0	1.1	0.9;
];
mpc.gen = [
	4	99.99999999979241	56.33081543972729	30	-30	1.02	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	4	1	0	0.05	0	250	250	250	1	0	1	-360	360;
];
