// HttpLoadClient: a libcurl-multi client on its own thread that sends bodiless POSTs over
// keep-alive connections, one request at a time per connection, checks every status and
// measures its own CPU time (a report shows the client was not the bottleneck).
#pragma once

#include <QByteArray>
#include <QString>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace ordinaut::bench {

struct HttpLoadResult
{
    int succeeded = 0; // 2xx answers
    int failed = 0;    // transport errors and other statuses
    QString firstFailure;
    double seconds = 0.0;            // first request sent → last answer received
    double clientCpuSeconds = 0.0;   // the client thread's CPU time in that span
    long connectionsOpened = 0;      // more than `connections`: keep-alive was not kept
    std::vector<double> latenciesMs; // per request, sent → answered
};

class HttpLoadClient final
{
public:
    HttpLoadClient(QByteArray url, QByteArray bearerToken, int connections, int total);
    ~HttpLoadClient();
    Q_DISABLE_COPY_MOVE(HttpLoadClient)

    // Starts sending on the client thread at once.
    void start();
    // Any thread: whether an answer was not 2xx (the run is not worth finishing).
    bool hasFailed() const { return m_failed.load() > 0; }
    // Joins the client thread; call once.
    HttpLoadResult wait();

private:
    void run();

    const QByteArray m_url;
    const QByteArray m_authorization;
    const int m_connections;
    const int m_total;
    std::atomic<int> m_failed{0};
    std::thread m_thread;
    HttpLoadResult m_result;
};

} // namespace ordinaut::bench
