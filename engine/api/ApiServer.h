// ApiServer: the QAbstractHttpServer that hands every request to HttpApi::handle and writes the
// answer. Lives on the HTTP thread.
#pragma once

#include <QAbstractHttpServer>

namespace ordinaut {

class HttpApi;

class ApiServer final : public QAbstractHttpServer
{
public:
    explicit ApiServer(const HttpApi &api);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    const HttpApi &m_api;
};

} // namespace ordinaut
