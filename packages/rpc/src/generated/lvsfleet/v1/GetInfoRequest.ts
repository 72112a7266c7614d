// Original file: proto/lvsfleet/v1/agent.proto


export interface GetInfoRequest {
}

export interface GetInfoRequest__Output {
}
