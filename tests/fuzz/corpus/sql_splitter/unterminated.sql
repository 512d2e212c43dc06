pSELECT 'open;
