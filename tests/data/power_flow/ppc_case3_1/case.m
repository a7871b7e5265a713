function mpc = ppc_case3_1
%% case3_1: a presolved pandapower test grid in MATPOWER case format version 2.
%% Source: e2nIEE/pandapower pandapower/test/converter/ppc_testgrids/case3_1.json (bus ids shifted by +1: MATPOWER numbers buses from 1).

mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	4	3	0	0	0	0	1	1.02	14.999999999999998	110	0	1.1	0.9;
	1	1	0	0	-10	-10	1	0.9524124982900125	11.739145244014543	110	0	1.1	0.9;
	2	1	100	50	0	0	2	0.9711271408024557	8.347415655114922	20	0	1.1	0.9;
];
mpc.gen = [
	4	61.69284997534991	64.34284706813183	30	-30	1.02	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
	1	30	10.000000011905001	30	-30	1.03	100	1	100	1	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	4	1	0.01	0.1	0	250	250	250	0	0	1	-360	360;
	1	2	0	0.0576	0	250	250	250	0.95	0	1	-360	360;
];
