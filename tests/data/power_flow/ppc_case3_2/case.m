function mpc = ppc_case3_2
%% case3_2: a presolved pandapower test grid in MATPOWER case format version 2.
%% Source: e2nIEE/pandapower pandapower/test/converter/ppc_testgrids/case3_2.json (bus ids shifted by +1: MATPOWER numbers buses from 1).

mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	4	3	0	0	0	0	1	1.02	14.999999999999998	110	0	1.1	0.9;
	1	2	0	-10	-10	0	1	1.0299999999999998	11.660858671081963	100	0	1.1	0.9;
	2	1	100	50	0	0	2	1.055552130640399	8.77592830712344	20	0	1.1	0.9;
];
mpc.gen = [
	4	59.75409833880712	-14.39176322290536	30	-30	1.02	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
	1	30	64.48483840693905	30	-30	1.03	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	4	1	0.01	0.1	0	250	250	250	0	0	1	-360	360;
	1	2	0	0.0576	0	250	250	250	0.95	0	1	-360	360;
];
