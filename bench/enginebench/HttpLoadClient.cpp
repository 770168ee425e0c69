// HttpLoadClient: one curl multi handle, one easy handle per connection, re-added after each
// answer so its connection is reused from the multi handle's cache.
#include "HttpLoadClient.h"

#include <curl/curl.h>

#include <ctime>
#include <memory>

namespace ordinaut::bench {

namespace {

using Clock = std::chrono::steady_clock;

// No request to a local server should take this long; one that does counts as failed.
constexpr long kRequestTimeoutMs = 60000;
// How long the client sleeps in curl_multi_poll when no socket is ready (it wakes at once
// when one is).
constexpr int kPollTimeoutMs = 1000;

double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

double msBetween(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Slot
{
    CURL *easy = nullptr;
    QByteArray body;
    Clock::time_point sentAt;
};

size_t keepBody(char *data, size_t size, size_t count, void *slot)
{
    static_cast<Slot *>(slot)->body.append(data, qsizetype(size * count));
    return size * count;
}

} // namespace

HttpLoadClient::HttpLoadClient(QByteArray url, QByteArray bearerToken, int connections, int total)
    : m_url(std::move(url))
    , m_authorization("Authorization: Bearer " + bearerToken)
    , m_connections(connections)
    , m_total(total)
{}

HttpLoadClient::~HttpLoadClient()
{
    if (m_thread.joinable())
        m_thread.join();
}

void HttpLoadClient::start()
{
    m_thread = std::thread([this] { run(); });
}

HttpLoadResult HttpLoadClient::wait()
{
    m_thread.join();
    return std::move(m_result);
}

void HttpLoadClient::run()
{
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, long(m_connections));
    curl_slist *headers = curl_slist_append(nullptr, m_authorization.constData());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    std::vector<std::unique_ptr<Slot>> handles;
    for (int i = 0; i < std::min(m_connections, m_total); ++i) {
        auto slot = std::make_unique<Slot>();
        slot->easy = curl_easy_init();
        curl_easy_setopt(slot->easy, CURLOPT_URL, m_url.constData());
        curl_easy_setopt(slot->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(slot->easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(slot->easy, CURLOPT_WRITEFUNCTION, keepBody);
        curl_easy_setopt(slot->easy, CURLOPT_WRITEDATA, slot.get());
        curl_easy_setopt(slot->easy, CURLOPT_PRIVATE, slot.get());
        curl_easy_setopt(slot->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(slot->easy, CURLOPT_TIMEOUT_MS, kRequestTimeoutMs);
        handles.push_back(std::move(slot));
    }
    m_result.latenciesMs.reserve(size_t(m_total));

    const double cpuBefore = threadCpuSeconds();
    const Clock::time_point startedAt = Clock::now();
    int sent = 0;
    int inFlight = 0;
    auto send = [&](Slot &slot) {
        slot.body.clear();
        slot.sentAt = Clock::now();
        curl_multi_add_handle(multi, slot.easy);
        ++sent;
        ++inFlight;
    };
    for (const auto &slot : handles)
        send(*slot);
    while (inFlight > 0) {
        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg *message = curl_multi_info_read(multi, &queued)) {
            if (message->msg != CURLMSG_DONE)
                continue;
            Slot *slot = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &slot);
            const Clock::time_point answeredAt = Clock::now();
            long status = 0;
            long opened = 0;
            curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(slot->easy, CURLINFO_NUM_CONNECTS, &opened);
            m_result.connectionsOpened += opened;
            m_result.latenciesMs.push_back(msBetween(slot->sentAt, answeredAt));
            const CURLcode code = message->data.result;
            if (code == CURLE_OK && status >= 200 && status < 300) {
                ++m_result.succeeded;
            } else {
                if (m_result.failed++ == 0)
                    m_result.firstFailure = code != CURLE_OK
                                                ? QString::fromUtf8(curl_easy_strerror(code))
                                                : QStringLiteral("HTTP %1: %2")
                                                      .arg(status)
                                                      .arg(QString::fromUtf8(slot->body.left(500)));
                m_failed.store(m_result.failed);
            }
            curl_multi_remove_handle(multi, slot->easy);
            --inFlight;
            m_result.seconds = msBetween(startedAt, answeredAt) / 1000.0;
            if (sent < m_total && m_failed.load() == 0)
                send(*slot);
        }
        if (inFlight > 0)
            curl_multi_poll(multi, nullptr, 0, kPollTimeoutMs, nullptr);
    }
    m_result.clientCpuSeconds = threadCpuSeconds() - cpuBefore;

    for (const auto &slot : handles)
        curl_easy_cleanup(slot->easy);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
}

} // namespace ordinaut::bench
