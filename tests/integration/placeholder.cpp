int dummy_int = 0;
