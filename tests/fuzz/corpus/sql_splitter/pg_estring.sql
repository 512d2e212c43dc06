pSELECT E'it\'s; fine';
SELECT 'a''b;c'; SELECT "we;ird" FROM t;
