import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentClient as _lvsfleet_v1_AgentClient, AgentDefinition as _lvsfleet_v1_AgentDefinition } from './lvsfleet/v1/Agent.ts';
import type { AgentInfo as _lvsfleet_v1_AgentInfo, AgentInfo__Output as _lvsfleet_v1_AgentInfo__Output } from './lvsfleet/v1/AgentInfo.ts';
import type { AgentState as _lvsfleet_v1_AgentState, AgentState__Output as _lvsfleet_v1_AgentState__Output } from './lvsfleet/v1/AgentState.ts';
import type { AllowedScript as _lvsfleet_v1_AllowedScript, AllowedScript__Output as _lvsfleet_v1_AllowedScript__Output } from './lvsfleet/v1/AllowedScript.ts';
import type { ApplyRequest as _lvsfleet_v1_ApplyRequest, ApplyRequest__Output as _lvsfleet_v1_ApplyRequest__Output } from './lvsfleet/v1/ApplyRequest.ts';
import type { ApplyResponse as _lvsfleet_v1_ApplyResponse, ApplyResponse__Output as _lvsfleet_v1_ApplyResponse__Output } from './lvsfleet/v1/ApplyResponse.ts';
import type { CheckStatus as _lvsfleet_v1_CheckStatus, CheckStatus__Output as _lvsfleet_v1_CheckStatus__Output } from './lvsfleet/v1/CheckStatus.ts';
import type { Destination as _lvsfleet_v1_Destination, Destination__Output as _lvsfleet_v1_Destination__Output } from './lvsfleet/v1/Destination.ts';
import type { DirectorConfig as _lvsfleet_v1_DirectorConfig, DirectorConfig__Output as _lvsfleet_v1_DirectorConfig__Output } from './lvsfleet/v1/DirectorConfig.ts';
import type { Event as _lvsfleet_v1_Event, Event__Output as _lvsfleet_v1_Event__Output } from './lvsfleet/v1/Event.ts';
import type { Failover as _lvsfleet_v1_Failover, Failover__Output as _lvsfleet_v1_Failover__Output } from './lvsfleet/v1/Failover.ts';
import type { FailoverBeat as _lvsfleet_v1_FailoverBeat, FailoverBeat__Output as _lvsfleet_v1_FailoverBeat__Output } from './lvsfleet/v1/FailoverBeat.ts';
import type { GetInfoRequest as _lvsfleet_v1_GetInfoRequest, GetInfoRequest__Output as _lvsfleet_v1_GetInfoRequest__Output } from './lvsfleet/v1/GetInfoRequest.ts';
import type { GetStateRequest as _lvsfleet_v1_GetStateRequest, GetStateRequest__Output as _lvsfleet_v1_GetStateRequest__Output } from './lvsfleet/v1/GetStateRequest.ts';
import type { HealthChange as _lvsfleet_v1_HealthChange, HealthChange__Output as _lvsfleet_v1_HealthChange__Output } from './lvsfleet/v1/HealthChange.ts';
import type { HealthWeights as _lvsfleet_v1_HealthWeights, HealthWeights__Output as _lvsfleet_v1_HealthWeights__Output } from './lvsfleet/v1/HealthWeights.ts';
import type { Heartbeat as _lvsfleet_v1_Heartbeat, Heartbeat__Output as _lvsfleet_v1_Heartbeat__Output } from './lvsfleet/v1/Heartbeat.ts';
import type { HeldConnections as _lvsfleet_v1_HeldConnections, HeldConnections__Output as _lvsfleet_v1_HeldConnections__Output } from './lvsfleet/v1/HeldConnections.ts';
import type { HostAddress as _lvsfleet_v1_HostAddress, HostAddress__Output as _lvsfleet_v1_HostAddress__Output } from './lvsfleet/v1/HostAddress.ts';
import type { HostChange as _lvsfleet_v1_HostChange, HostChange__Output as _lvsfleet_v1_HostChange__Output } from './lvsfleet/v1/HostChange.ts';
import type { HostRoute as _lvsfleet_v1_HostRoute, HostRoute__Output as _lvsfleet_v1_HostRoute__Output } from './lvsfleet/v1/HostRoute.ts';
import type { HostState as _lvsfleet_v1_HostState, HostState__Output as _lvsfleet_v1_HostState__Output } from './lvsfleet/v1/HostState.ts';
import type { Operation as _lvsfleet_v1_Operation, Operation__Output as _lvsfleet_v1_Operation__Output } from './lvsfleet/v1/Operation.ts';
import type { Persistence as _lvsfleet_v1_Persistence, Persistence__Output as _lvsfleet_v1_Persistence__Output } from './lvsfleet/v1/Persistence.ts';
import type { Problem as _lvsfleet_v1_Problem, Problem__Output as _lvsfleet_v1_Problem__Output } from './lvsfleet/v1/Problem.ts';
import type { Rates as _lvsfleet_v1_Rates, Rates__Output as _lvsfleet_v1_Rates__Output } from './lvsfleet/v1/Rates.ts';
import type { RealServerConfig as _lvsfleet_v1_RealServerConfig, RealServerConfig__Output as _lvsfleet_v1_RealServerConfig__Output } from './lvsfleet/v1/RealServerConfig.ts';
import type { RealServerHealth as _lvsfleet_v1_RealServerHealth, RealServerHealth__Output as _lvsfleet_v1_RealServerHealth__Output } from './lvsfleet/v1/RealServerHealth.ts';
import type { RunActionRequest as _lvsfleet_v1_RunActionRequest, RunActionRequest__Output as _lvsfleet_v1_RunActionRequest__Output } from './lvsfleet/v1/RunActionRequest.ts';
import type { RunActionResponse as _lvsfleet_v1_RunActionResponse, RunActionResponse__Output as _lvsfleet_v1_RunActionResponse__Output } from './lvsfleet/v1/RunActionResponse.ts';
import type { ScriptAllowlist as _lvsfleet_v1_ScriptAllowlist, ScriptAllowlist__Output as _lvsfleet_v1_ScriptAllowlist__Output } from './lvsfleet/v1/ScriptAllowlist.ts';
import type { Service as _lvsfleet_v1_Service, Service__Output as _lvsfleet_v1_Service__Output } from './lvsfleet/v1/Service.ts';
import type { ServiceHealth as _lvsfleet_v1_ServiceHealth, ServiceHealth__Output as _lvsfleet_v1_ServiceHealth__Output } from './lvsfleet/v1/ServiceHealth.ts';
import type { SetSimulatedHealthRequest as _lvsfleet_v1_SetSimulatedHealthRequest, SetSimulatedHealthRequest__Output as _lvsfleet_v1_SetSimulatedHealthRequest__Output } from './lvsfleet/v1/SetSimulatedHealthRequest.ts';
import type { SetSimulatedHealthResponse as _lvsfleet_v1_SetSimulatedHealthResponse, SetSimulatedHealthResponse__Output as _lvsfleet_v1_SetSimulatedHealthResponse__Output } from './lvsfleet/v1/SetSimulatedHealthResponse.ts';
import type { SetSimulatedTrafficRequest as _lvsfleet_v1_SetSimulatedTrafficRequest, SetSimulatedTrafficRequest__Output as _lvsfleet_v1_SetSimulatedTrafficRequest__Output } from './lvsfleet/v1/SetSimulatedTrafficRequest.ts';
import type { SimulatedLoad as _lvsfleet_v1_SimulatedLoad, SimulatedLoad__Output as _lvsfleet_v1_SimulatedLoad__Output } from './lvsfleet/v1/SimulatedLoad.ts';
import type { SimulatedTraffic as _lvsfleet_v1_SimulatedTraffic, SimulatedTraffic__Output as _lvsfleet_v1_SimulatedTraffic__Output } from './lvsfleet/v1/SimulatedTraffic.ts';
import type { StartRequest as _lvsfleet_v1_StartRequest, StartRequest__Output as _lvsfleet_v1_StartRequest__Output } from './lvsfleet/v1/StartRequest.ts';
import type { StartResponse as _lvsfleet_v1_StartResponse, StartResponse__Output as _lvsfleet_v1_StartResponse__Output } from './lvsfleet/v1/StartResponse.ts';
import type { StateChange as _lvsfleet_v1_StateChange, StateChange__Output as _lvsfleet_v1_StateChange__Output } from './lvsfleet/v1/StateChange.ts';
import type { Stats as _lvsfleet_v1_Stats, Stats__Output as _lvsfleet_v1_Stats__Output } from './lvsfleet/v1/Stats.ts';
import type { StopRequest as _lvsfleet_v1_StopRequest, StopRequest__Output as _lvsfleet_v1_StopRequest__Output } from './lvsfleet/v1/StopRequest.ts';
import type { StopResponse as _lvsfleet_v1_StopResponse, StopResponse__Output as _lvsfleet_v1_StopResponse__Output } from './lvsfleet/v1/StopResponse.ts';
import type { Table as _lvsfleet_v1_Table, Table__Output as _lvsfleet_v1_Table__Output } from './lvsfleet/v1/Table.ts';
import type { Tunnel as _lvsfleet_v1_Tunnel, Tunnel__Output as _lvsfleet_v1_Tunnel__Output } from './lvsfleet/v1/Tunnel.ts';
import type { VrrpInstanceState as _lvsfleet_v1_VrrpInstanceState, VrrpInstanceState__Output as _lvsfleet_v1_VrrpInstanceState__Output } from './lvsfleet/v1/VrrpInstanceState.ts';
import type { VrrpStatus as _lvsfleet_v1_VrrpStatus, VrrpStatus__Output as _lvsfleet_v1_VrrpStatus__Output } from './lvsfleet/v1/VrrpStatus.ts';
import type { WatchEventsRequest as _lvsfleet_v1_WatchEventsRequest, WatchEventsRequest__Output as _lvsfleet_v1_WatchEventsRequest__Output } from './lvsfleet/v1/WatchEventsRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  lvsfleet: {
    v1: {
      Agent: SubtypeConstructor<typeof grpc.Client, _lvsfleet_v1_AgentClient> & { service: _lvsfleet_v1_AgentDefinition }
      AgentInfo: MessageTypeDefinition<_lvsfleet_v1_AgentInfo, _lvsfleet_v1_AgentInfo__Output>
      AgentState: MessageTypeDefinition<_lvsfleet_v1_AgentState, _lvsfleet_v1_AgentState__Output>
      AllowedScript: MessageTypeDefinition<_lvsfleet_v1_AllowedScript, _lvsfleet_v1_AllowedScript__Output>
      ApplyRequest: MessageTypeDefinition<_lvsfleet_v1_ApplyRequest, _lvsfleet_v1_ApplyRequest__Output>
      ApplyResponse: MessageTypeDefinition<_lvsfleet_v1_ApplyResponse, _lvsfleet_v1_ApplyResponse__Output>
      CheckStatus: MessageTypeDefinition<_lvsfleet_v1_CheckStatus, _lvsfleet_v1_CheckStatus__Output>
      Destination: MessageTypeDefinition<_lvsfleet_v1_Destination, _lvsfleet_v1_Destination__Output>
      DirectorConfig: MessageTypeDefinition<_lvsfleet_v1_DirectorConfig, _lvsfleet_v1_DirectorConfig__Output>
      Event: MessageTypeDefinition<_lvsfleet_v1_Event, _lvsfleet_v1_Event__Output>
      Failover: MessageTypeDefinition<_lvsfleet_v1_Failover, _lvsfleet_v1_Failover__Output>
      FailoverBeat: MessageTypeDefinition<_lvsfleet_v1_FailoverBeat, _lvsfleet_v1_FailoverBeat__Output>
      Family: EnumTypeDefinition
      Forwarding: EnumTypeDefinition
      GetInfoRequest: MessageTypeDefinition<_lvsfleet_v1_GetInfoRequest, _lvsfleet_v1_GetInfoRequest__Output>
      GetStateRequest: MessageTypeDefinition<_lvsfleet_v1_GetStateRequest, _lvsfleet_v1_GetStateRequest__Output>
      HealthChange: MessageTypeDefinition<_lvsfleet_v1_HealthChange, _lvsfleet_v1_HealthChange__Output>
      HealthWeights: MessageTypeDefinition<_lvsfleet_v1_HealthWeights, _lvsfleet_v1_HealthWeights__Output>
      Heartbeat: MessageTypeDefinition<_lvsfleet_v1_Heartbeat, _lvsfleet_v1_Heartbeat__Output>
      HeldConnections: MessageTypeDefinition<_lvsfleet_v1_HeldConnections, _lvsfleet_v1_HeldConnections__Output>
      HostAddress: MessageTypeDefinition<_lvsfleet_v1_HostAddress, _lvsfleet_v1_HostAddress__Output>
      HostChange: MessageTypeDefinition<_lvsfleet_v1_HostChange, _lvsfleet_v1_HostChange__Output>
      HostRoute: MessageTypeDefinition<_lvsfleet_v1_HostRoute, _lvsfleet_v1_HostRoute__Output>
      HostState: MessageTypeDefinition<_lvsfleet_v1_HostState, _lvsfleet_v1_HostState__Output>
      Operation: MessageTypeDefinition<_lvsfleet_v1_Operation, _lvsfleet_v1_Operation__Output>
      Persistence: MessageTypeDefinition<_lvsfleet_v1_Persistence, _lvsfleet_v1_Persistence__Output>
      Problem: MessageTypeDefinition<_lvsfleet_v1_Problem, _lvsfleet_v1_Problem__Output>
      Protocol: EnumTypeDefinition
      Rates: MessageTypeDefinition<_lvsfleet_v1_Rates, _lvsfleet_v1_Rates__Output>
      RealServerConfig: MessageTypeDefinition<_lvsfleet_v1_RealServerConfig, _lvsfleet_v1_RealServerConfig__Output>
      RealServerHealth: MessageTypeDefinition<_lvsfleet_v1_RealServerHealth, _lvsfleet_v1_RealServerHealth__Output>
      Role: EnumTypeDefinition
      RunActionRequest: MessageTypeDefinition<_lvsfleet_v1_RunActionRequest, _lvsfleet_v1_RunActionRequest__Output>
      RunActionResponse: MessageTypeDefinition<_lvsfleet_v1_RunActionResponse, _lvsfleet_v1_RunActionResponse__Output>
      ScriptAllowlist: MessageTypeDefinition<_lvsfleet_v1_ScriptAllowlist, _lvsfleet_v1_ScriptAllowlist__Output>
      Service: MessageTypeDefinition<_lvsfleet_v1_Service, _lvsfleet_v1_Service__Output>
      ServiceHealth: MessageTypeDefinition<_lvsfleet_v1_ServiceHealth, _lvsfleet_v1_ServiceHealth__Output>
      SetSimulatedHealthRequest: MessageTypeDefinition<_lvsfleet_v1_SetSimulatedHealthRequest, _lvsfleet_v1_SetSimulatedHealthRequest__Output>
      SetSimulatedHealthResponse: MessageTypeDefinition<_lvsfleet_v1_SetSimulatedHealthResponse, _lvsfleet_v1_SetSimulatedHealthResponse__Output>
      SetSimulatedTrafficRequest: MessageTypeDefinition<_lvsfleet_v1_SetSimulatedTrafficRequest, _lvsfleet_v1_SetSimulatedTrafficRequest__Output>
      SimulatedLoad: MessageTypeDefinition<_lvsfleet_v1_SimulatedLoad, _lvsfleet_v1_SimulatedLoad__Output>
      SimulatedTraffic: MessageTypeDefinition<_lvsfleet_v1_SimulatedTraffic, _lvsfleet_v1_SimulatedTraffic__Output>
      StartRequest: MessageTypeDefinition<_lvsfleet_v1_StartRequest, _lvsfleet_v1_StartRequest__Output>
      StartResponse: MessageTypeDefinition<_lvsfleet_v1_StartResponse, _lvsfleet_v1_StartResponse__Output>
      StateChange: MessageTypeDefinition<_lvsfleet_v1_StateChange, _lvsfleet_v1_StateChange__Output>
      Stats: MessageTypeDefinition<_lvsfleet_v1_Stats, _lvsfleet_v1_Stats__Output>
      StopRequest: MessageTypeDefinition<_lvsfleet_v1_StopRequest, _lvsfleet_v1_StopRequest__Output>
      StopResponse: MessageTypeDefinition<_lvsfleet_v1_StopResponse, _lvsfleet_v1_StopResponse__Output>
      Table: MessageTypeDefinition<_lvsfleet_v1_Table, _lvsfleet_v1_Table__Output>
      Tunnel: MessageTypeDefinition<_lvsfleet_v1_Tunnel, _lvsfleet_v1_Tunnel__Output>
      VrrpInstanceState: MessageTypeDefinition<_lvsfleet_v1_VrrpInstanceState, _lvsfleet_v1_VrrpInstanceState__Output>
      VrrpStatus: MessageTypeDefinition<_lvsfleet_v1_VrrpStatus, _lvsfleet_v1_VrrpStatus__Output>
      WatchEventsRequest: MessageTypeDefinition<_lvsfleet_v1_WatchEventsRequest, _lvsfleet_v1_WatchEventsRequest__Output>
    }
  }
}

