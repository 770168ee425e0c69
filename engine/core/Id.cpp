// UUIDv7 generation: 48-bit Unix milliseconds, then a 12-bit counter that keeps ids monotonic
// within one millisecond, then 62 random bits.
#include "Id.h"

#include "Clock.h"

#include <QMutex>
#include <QRandomGenerator>
#include <QRegularExpression>

namespace ordinaut {

namespace {

struct Monotonic
{
    QMutex mutex;
    qint64 lastMs = -1;
    quint32 counter = 0;
};

Monotonic &monotonic()
{
    static Monotonic state;
    return state;
}

} // namespace

QString newId(const Clock &clock)
{
    qint64 ms = clock.now().toMSecsSinceEpoch();
    quint32 counter = 0;
    {
        Monotonic &state = monotonic();
        QMutexLocker lock(&state.mutex);
        if (ms <= state.lastMs) {
            // Same (or an earlier, after a clock step back) millisecond: keep ordering by
            // counting up; borrow the next millisecond when the counter runs out.
            ms = state.lastMs;
            if (++state.counter > 0xFFF) {
                ++ms;
                state.counter = 0;
            }
        } else {
            state.counter = QRandomGenerator::global()->bounded(0x200u);
        }
        state.lastMs = ms;
        counter = state.counter;
    }
    unsigned char bytes[16];
    for (int i = 0; i < 6; ++i)
        bytes[i] = static_cast<unsigned char>((ms >> (8 * (5 - i))) & 0xFF);
    bytes[6] = static_cast<unsigned char>(0x70 | ((counter >> 8) & 0x0F));
    bytes[7] = static_cast<unsigned char>(counter & 0xFF);
    const quint64 random = QRandomGenerator::system()->generate64();
    for (int i = 0; i < 8; ++i)
        bytes[8 + i] = static_cast<unsigned char>((random >> (8 * i)) & 0xFF);
    bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3F));

    static const char kHex[] = "0123456789abcdef";
    QString text;
    text.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text.append(QLatin1Char('-'));
        text.append(QLatin1Char(kHex[bytes[i] >> 4]));
        text.append(QLatin1Char(kHex[bytes[i] & 0x0F]));
    }
    return text;
}

QString newId()
{
    return newId(SystemClock::instance());
}

bool isUuid(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    return pattern.match(text).hasMatch();
}

} // namespace ordinaut
