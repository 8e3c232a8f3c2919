int dummy_unit = 0;
