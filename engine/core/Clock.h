// Clock: where the engine gets "now". Production uses SystemClock; tests drive a ManualClock so
// "what is due" logic is deterministic.
#pragma once

#include <QDateTime>
#include <QMutex>

namespace ordinaut {

class Clock
{
public:
    virtual ~Clock() = default;
    // The current instant, in UTC, with millisecond precision.
    virtual QDateTime now() const = 0;
    // The same in microseconds since the Unix epoch, for waiting out the last millisecond.
    virtual qint64 nowUs() const { return now().toMSecsSinceEpoch() * 1000; }
};

class SystemClock final : public Clock
{
public:
    QDateTime now() const override;
    qint64 nowUs() const override;
    static const SystemClock &instance();
};

class ManualClock final : public Clock
{
public:
    explicit ManualClock(QDateTime start);
    QDateTime now() const override;
    void set(const QDateTime &instant);
    void advanceMs(qint64 ms);

private:
    mutable QMutex m_mutex;
    QDateTime m_now;
};

} // namespace ordinaut
