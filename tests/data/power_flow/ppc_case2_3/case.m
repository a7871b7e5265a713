function mpc = ppc_case2_3
%% case2_3: a presolved pandapower test grid in MATPOWER case format version 2.
%% Source: e2nIEE/pandapower pandapower/test/converter/ppc_testgrids/case2_3.json (bus ids shifted by +1: MATPOWER numbers buses from 1).

mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	4	3	0	0	0	0	1	1.02	14.999999999999998	110	0	1.1	0.9;
	1	1	100	50	0	0	2	1.0287297207694923	12.93559641895347	20	0	1.1	0.9;
];
mpc.gen = [
	4	102.3825246206878	58.167394183716766	30	-30	1.02	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	4	1	0.02	0.05	-0.02	250	250	250	0.95	0	1	-360	360;
];
