-- The symbols of the pilot; others are rejected until a migration adds them.
INSERT INTO symbols (symbol, description) VALUES
    ('AAPL', 'Apple Inc.'),
    ('MSFT', 'Microsoft Corporation'),
    ('GOOGL', 'Alphabet Inc. class A'),
    ('AMZN', 'Amazon.com Inc.'),
    ('BRK.B', 'Berkshire Hathaway Inc. class B'),
    ('SPY', 'SPDR S&P 500 ETF Trust')
ON CONFLICT (symbol) DO NOTHING;
