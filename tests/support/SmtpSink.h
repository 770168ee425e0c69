// SmtpSink: a real SMTP server for tests — Python's aiosmtpd (Debian: python3-aiosmtpd) on a
// free loopback port in a child process — that keeps every message it accepts, parsed by
// Python's email package, for the test to inspect.
#pragma once

#include "core/Json.h"

#include <QProcess>
#include <QTemporaryDir>

#include <vector>

namespace ordinaut::test {

class SmtpSink final
{
public:
    // With a username the server offers AUTH (PLAIN, LOGIN) without TLS and requires it.
    struct Credentials
    {
        QString username;
        QString password;
    };

    SmtpSink();
    ~SmtpSink();
    Q_DISABLE_COPY_MOVE(SmtpSink)

    // Starts the server; false with errorString() when it cannot (no aiosmtpd, no Python).
    bool start();
    bool start(const Credentials &credentials);
    void stop();
    quint16 port() const { return m_port; }
    QString errorString() const { return m_error; }

    // Every accepted message in arrival order: {"mail_from", "rcpt_tos": [..], "raw",
    // "content_type", "headers": {lower-case name: [decoded values]}, "parts": [{"type",
    // "content" (decoded, "\n" line ends)}], "defects": [..]}.
    std::vector<Json> messages() const;
    void clear();

    // Recipients starting with this are refused with 550 at RCPT.
    static QString refusedPrefix() { return QStringLiteral("refused"); }
    // A message containing this text is answered only after 5 seconds (deadline tests).
    static QString slowMarker() { return QStringLiteral("slow-reply-please"); }
    // A Python 3 interpreter that can import aiosmtpd ($ORDINAUT_TEST_PYTHON, python3 on the
    // PATH, /usr/bin/python3), or empty.
    static QString python();

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace ordinaut::test
